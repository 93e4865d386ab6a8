/** A fake ASI MS-2000: V, W, M, R, /, \ (halt), H (here). Positions in tenths of a micrometre. */
import type { EmulatorContext, ProtocolEmulation } from './emulator';

type Axis = 'x' | 'y' | 'z';

function assignments(args: string): Array<[Axis, number]> | null {
  const out: Array<[Axis, number]> = [];
  for (const part of args.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([XYZ])=(-?\d*\.?\d+)$/i.exec(part);
    if (!m) return null;
    out.push([m[1].toLowerCase() as Axis, Number(m[2])]);
  }
  return out.length > 0 ? out : null;
}

export function asiEmulation(): ProtocolEmulation {
  const fmt = (v: number) => String(Number(v.toFixed(1)));
  const where = (args: string, ctx: EmulatorContext) => {
    const axes = args
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((a) => a.toLowerCase());
    if (axes.length === 0 || axes.some((a) => !['x', 'y', 'z'].includes(a))) return ctx.reply(':N-2');
    ctx.reply(`:A ${axes.map((a) => fmt(ctx.axes[a as Axis].position())).join(' ')} `);
  };
  return {
    protocol: 'asi',
    defaultNativePerUm: 10,
    inputTerminator: '\r',
    replyTerminator: '\r\n',
    handle(line, ctx) {
      const t = line.trim();
      const [cmd, ...rest] = t.split(/\s+/);
      const args = rest.join(' ');
      const c = (cmd ?? '').toUpperCase();
      if (c === 'V' || c === 'VERSION') return ctx.reply(':A Version: USB-9.2p ');
      if (c === 'W' || c === 'WHERE') return where(args, ctx);
      if (c === '/' || c === 'STATUS') {
        return ctx.reply(Object.values(ctx.axes).some((a) => a.isMoving()) ? 'B' : 'N');
      }
      if (c === '\\' || c === 'HALT') {
        for (const a of Object.values(ctx.axes)) a.stop();
        return ctx.reply(':A');
      }
      if (c === 'M' || c === 'MOVE' || c === 'R' || c === 'MOVREL') {
        const list = assignments(args);
        if (!list) return ctx.reply(':N-3');
        ctx.reply(':A');
        for (const [axis, v] of list) {
          const a = ctx.axes[axis];
          ctx.startMove(a, c.startsWith('M') && c !== 'MOVREL' ? v : a.position() + v);
        }
        return;
      }
      if (c === 'H' || c === 'HERE') {
        const axes = args.split(/\s+/).filter(Boolean);
        if (axes.length === 0) return ctx.reply(':N-3');
        for (const a of axes) {
          const m = /^([XYZ])(?:=(-?\d*\.?\d+))?$/i.exec(a);
          if (!m) return ctx.reply(':N-2');
          ctx.axes[m[1].toLowerCase() as Axis].setPosition(Number(m[2] ?? 0));
        }
        return ctx.reply(':A');
      }
      ctx.reply(':N-1');
    },
    errorReply: (line) => (/^(M|R)\s/i.test(line.trim()) ? ':N-4' : ':N-1'),
  };
}
