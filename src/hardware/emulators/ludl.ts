/** A fake Ludl MAC 5000: VER, WHERE, MOVE, MOVREL, STATUS (bare B/N), HERE, HALT; ignores the 255,65 command-level bytes. */
import type { EmulatorContext, ProtocolEmulation } from './emulator';

type Axis = 'x' | 'y' | 'z';

export function ludlEmulation(): ProtocolEmulation {
  let commandLevelByte = false;
  const axisList = (args: string) =>
    args
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((a) => a.toLowerCase());
  const valid = (a: string): a is Axis => a === 'x' || a === 'y' || a === 'z';
  const moving = (ctx: EmulatorContext, axes: Axis[]) => axes.some((a) => ctx.axes[a].isMoving());
  return {
    protocol: 'ludl',
    defaultNativePerUm: 10,
    inputTerminator: '\r',
    replyTerminator: '\r\n',
    realtime(byte) {
      if (commandLevelByte) {
        commandLevelByte = false;
        return true;
      }
      if (byte === 0xff) {
        commandLevelByte = true;
        return true;
      }
      return false;
    },
    handle(line, ctx) {
      const t = line.trim();
      const [cmd, ...rest] = t.split(/\s+/);
      const args = rest.join(' ');
      const c = (cmd ?? '').toUpperCase();
      if (c === 'VER') {
        ctx.reply('MAC5000 Version 9.45 (FocusStation emulator)');
        return ctx.reply(':A');
      }
      if (c === 'WHERE') {
        const axes = axisList(args);
        if (axes.length === 0 || !axes.every(valid)) return ctx.reply(':N -2');
        return ctx.reply(`:A ${axes.map((a) => Math.round(ctx.axes[a as Axis].position())).join(' ')}`);
      }
      if (c === 'STATUS') {
        const axes = axisList(args);
        if (!axes.every(valid)) return ctx.reply(':N -2');
        // The real controller answers one bare character.
        return ctx.replyRaw(moving(ctx, axes.length ? (axes as Axis[]) : ['x', 'y', 'z']) ? 'B' : 'N');
      }
      if (c === 'HALT') {
        for (const a of Object.values(ctx.axes)) a.stop();
        return ctx.reply(':A');
      }
      if (c === 'MOVE' || c === 'MOVREL' || c === 'HERE') {
        const parts = args
          .split(/\s+/)
          .filter(Boolean)
          .map((p) => /^([XYZ])=(-?\d+)$/i.exec(p));
        if (parts.length === 0) return ctx.reply(':N -3');
        if (parts.some((p) => p === null)) return ctx.reply(':N -2');
        ctx.reply(':A');
        for (const p of parts) {
          const axis = ctx.axes[p![1].toLowerCase() as Axis];
          const v = Number(p![2]);
          if (c === 'HERE') axis.setPosition(v);
          else ctx.startMove(axis, c === 'MOVE' ? v : Math.round(axis.position()) + v);
        }
        return;
      }
      ctx.reply(':N -1');
    },
    errorReply: (line) => (/^MOV/i.test(line.trim()) ? ':N -4' : ':N -1'),
  };
}
