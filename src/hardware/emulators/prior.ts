/** A fake Prior ProScan III: ?, COMP, RES, PZ, PS, P, U/D, G, $, I, PZ,n. Moves answer R when they end. */
import type { ProtocolEmulation } from './emulator';

export function priorEmulation(): ProtocolEmulation {
  return {
    protocol: 'prior',
    defaultNativePerUm: 10,
    inputTerminator: '\r',
    replyTerminator: '\r',
    handle(line, ctx) {
      const t = line.trim().toUpperCase();
      const { x, y, z } = ctx.axes;
      const steps = (a: typeof x) => Math.round(a.position());
      if (t === '?') {
        for (const l of [
          'PROSCAN INFORMATION',
          'DSP_1 IS 4-AXIS STAGE CARD',
          'FOCUS = NORMAL',
          'VERSION = 1.00',
          'END',
        ]) {
          ctx.reply(l);
        }
        return;
      }
      if (/^COMP,?\s*[01]$/.test(t)) return ctx.reply('0');
      if (t === 'RES,Z') return ctx.reply(String(1 / ctx.nativePerUm));
      if (t === 'RES,S') return ctx.reply(String(1 / ctx.nativePerUm));
      if (t === 'PZ') return ctx.reply(String(steps(z)));
      if (t === 'PS') return ctx.reply(`${steps(x)},${steps(y)}`);
      if (t === 'P') return ctx.reply(`${steps(x)},${steps(y)},${steps(z)}`);
      if (t === '$') {
        const bits = (x.isMoving() ? 1 : 0) | (y.isMoving() ? 2 : 0) | (z.isMoving() ? 4 : 0);
        return ctx.reply(String(bits));
      }
      const setZ = /^PZ,(-?\d+)$/.exec(t);
      if (setZ) {
        z.setPosition(Number(setZ[1]));
        return ctx.reply('0');
      }
      const ud = /^([UD]),(\d+)$/.exec(t);
      if (ud) {
        const d = Number(ud[2]) * (ud[1] === 'U' ? 1 : -1);
        ctx.startMove(z, steps(z) + d, () => ctx.reply('R'));
        return;
      }
      const g = /^G,(-?\d+),(-?\d+)$/.exec(t);
      if (g) {
        let pending = 2;
        const done = () => {
          if (--pending === 0) ctx.reply('R');
        };
        ctx.startMove(x, Number(g[1]), done);
        ctx.startMove(y, Number(g[2]), done);
        return;
      }
      if (t === 'I' || t === 'K') {
        // Stopping ends the running moves, whose own R replies go out first.
        for (const a of [x, y, z]) a.stop();
        return ctx.reply('R');
      }
      ctx.reply('E,5');
    },
    errorReply: (line) => (/^[UDG],/i.test(line.trim()) ? 'E,8' : 'E,5'),
  };
}
