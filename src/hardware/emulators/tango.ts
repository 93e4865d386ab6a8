/**
 * A fake Marzhauser Tango: ?version, !autostatus, !dim, !moa, !mor, ?pos, ?statusaxis, ?err, a <axis>, !pos.
 * "!" commands answer nothing; a rejected one leaves its code for "?err" (injected errors too).
 */
import type { EmulatorContext, ProtocolEmulation } from './emulator';

type Axis = 'x' | 'y' | 'z';
const AXES: Axis[] = ['x', 'y', 'z'];

export function tangoEmulation(): ProtocolEmulation {
  let err = 0;
  const fmt = (v: number) => v.toFixed(4);
  const num = (s: string | undefined) => (s !== undefined && /^-?\d*\.?\d+$/.test(s) ? Number(s) : NaN);

  const move = (args: string[], relative: boolean, ctx: EmulatorContext) => {
    // "!moa z 12.5" (one axis) or "!moa 1 2" / "!moa 1 2 3" (x y [z])
    const pairs: Array<[Axis, number]> = AXES.includes(args[0] as Axis)
      ? [[args[0] as Axis, num(args[1])]]
      : args.map((v, i) => [AXES[i], num(v)] as [Axis, number]);
    if (pairs.length === 0 || pairs.length > 3 || pairs.some(([a, v]) => !a || !Number.isFinite(v))) {
      err = 6;
      return;
    }
    for (const [a, v] of pairs) {
      const axis = ctx.axes[a];
      ctx.startMove(axis, relative ? axis.position() + v : v);
    }
  };

  return {
    protocol: 'tango',
    defaultNativePerUm: 1,
    inputTerminator: '\r',
    replyTerminator: '\r',
    handle(line, ctx) {
      const parts = line.trim().split(/\s+/);
      const cmd = (parts[0] ?? '').toLowerCase();
      // An empty line only clears the receive buffer (Micro-Manager's adapter sends one to resync).
      if (cmd === '') return;
      const args = parts.slice(1).map((p) => p.toLowerCase());
      switch (cmd) {
        case '?version':
          return ctx.reply('TANGO-DESKTOP, Version 1.62 (FocusStation emulator)');
        case '?err': {
          const code = err;
          err = 0;
          return ctx.reply(String(code));
        }
        case '?pos':
          if (args.length === 0) return ctx.reply(AXES.map((a) => fmt(ctx.axes[a].position())).join(' '));
          if (!AXES.includes(args[0] as Axis)) {
            err = 1;
            return;
          }
          return ctx.reply(fmt(ctx.axes[args[0] as Axis].position()));
        case '?statusaxis':
          return ctx.reply(AXES.map((a) => (ctx.axes[a].isMoving() ? 'M' : '@')).join('') + '-');
        case '!autostatus':
          return;
        case '!dim':
          if (args.length === 2 && AXES.includes(args[0] as Axis) && args[1] === '1') return;
          if (args.length >= 1 && args.every((a) => a === '1')) return;
          err = 10;
          return;
        case '!moa':
        case '!mor':
          return move(args, cmd === '!mor', ctx);
        case '!pos':
          if (AXES.includes(args[0] as Axis) && Number.isFinite(num(args[1]))) {
            ctx.axes[args[0] as Axis].setPosition(num(args[1]));
            return;
          }
          err = 6;
          return;
        case 'a':
          if (args.length === 0) for (const a of AXES) ctx.axes[a].stop();
          else if (AXES.includes(args[0] as Axis)) ctx.axes[args[0] as Axis].stop();
          else err = 1;
          return;
        default:
          err = cmd.startsWith('!') || cmd.startsWith('?') ? 4 : 7;
      }
    },
    errorReply() {
      // The Tango reports errors through ?err: the injected error leaves code 5 (out of range).
      err = 5;
      return null;
    },
  };
}
