/** A fake Sangaboard: version, p?, mr/mrx/mry/mrz, moving?, blocking_moves, stop, zero, release. */
import type { ProtocolEmulation } from './emulator';

const UNKNOWN = "Type 'help' for a list of commands.";

export function sangaboardEmulation(): ProtocolEmulation {
  let blocking = true;
  return {
    protocol: 'sangaboard',
    // About 50 nm per motor step on the OpenFlexure z axis.
    defaultNativePerUm: 20,
    inputTerminator: '\n',
    replyTerminator: '\r\n',
    handle(line, ctx) {
      const t = line.trim();
      const { x, y, z } = ctx.axes;
      const pos = () => [x, y, z].map((a) => Math.round(a.position())).join(' ');
      if (t === 'version') return ctx.reply('Sangaboard Firmware v0.5.1');
      if (t === 'p?') return ctx.reply(pos());
      if (t === 'moving?') return ctx.reply([x, y, z].some((a) => a.isMoving()) ? 'true' : 'false');
      const bm = /^blocking_moves\s+(true|false)$/.exec(t);
      if (bm) {
        blocking = bm[1] === 'true';
        return ctx.reply('done');
      }
      if (t === 'blocking_moves?') return ctx.reply(String(blocking));
      if (t === 'stop') {
        for (const a of [x, y, z]) a.stop();
        return ctx.reply('stopped');
      }
      if (t === 'zero') {
        for (const a of [x, y, z]) a.setPosition(0);
        return ctx.reply('position reset to 0 0 0');
      }
      if (t === 'release') return ctx.reply('motors released');
      const single = /^mr([xyz])\s+(-?\d+)$/.exec(t);
      const triple = /^mr\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)$/.exec(t);
      if (single || triple) {
        const deltas: Array<[typeof x, number]> = single
          ? [[ctx.axes[single[1] as 'x' | 'y' | 'z'], Number(single[2])]]
          : [
              [x, Number(triple![1])],
              [y, Number(triple![2])],
              [z, Number(triple![3])],
            ];
        let longest = 0;
        for (const [axis, d] of deltas) {
          if (d !== 0) longest = Math.max(longest, ctx.startMove(axis, Math.round(axis.position()) + d));
        }
        if (blocking) setTimeout(() => ctx.reply('done'), longest);
        else ctx.reply('done');
        return;
      }
      ctx.reply(UNKNOWN);
    },
    errorReply: () => UNKNOWN,
  };
}
