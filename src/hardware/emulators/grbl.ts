/** A fake GRBL 1.1 board: jogs, realtime status/jog-cancel/reset, $I, $H, $X, G10 L20, G4 P0. */
import type { EmulatorContext, ProtocolEmulation } from './emulator';

/** Machine travel of the fake board (mm): jogs outside it get error:15 like a board with soft limits on. */
const TRAVEL_MM = 50;

interface GrblState {
  wco: [number, number, number];
  alarm: boolean;
  reports: number;
  wcoChanged: boolean;
}

export function grblEmulation(): ProtocolEmulation {
  const s: GrblState = { wco: [0, 0, 0], alarm: false, reports: 0, wcoChanged: true };
  const axesOf = (ctx: EmulatorContext) => [ctx.axes.x, ctx.axes.y, ctx.axes.z];

  const statusReport = (ctx: EmulatorContext): string => {
    const moving = axesOf(ctx).some((a) => a.isMoving());
    const state = s.alarm ? 'Alarm' : moving ? 'Jog' : 'Idle';
    const mpos = axesOf(ctx)
      .map((a) => a.position().toFixed(3))
      .join(',');
    s.reports++;
    // Like GRBL: the work offset is reported now and then and whenever it changes.
    const wco = s.wcoChanged || s.reports % 10 === 0 ? `|WCO:${s.wco.map((v) => v.toFixed(3)).join(',')}` : '';
    s.wcoChanged = false;
    return `<${state}|MPos:${mpos}|FS:${moving ? 100 : 0},0${wco}>`;
  };

  const jog = (line: string, ctx: EmulatorContext): void => {
    const body = line.slice(3).toUpperCase();
    const relative = /G91/.test(body);
    const words = [...body.replace(/G\d+/g, '').matchAll(/([XYZF])\s*(-?\d*\.?\d+)/g)];
    if (!words.some((w) => w[1] === 'F')) return ctx.reply('error:22');
    if (s.alarm) return ctx.reply('error:9');
    const targets: Array<[number, number]> = [];
    for (const [, letter, value] of words) {
      if (letter === 'F') continue;
      const i = 'XYZ'.indexOf(letter);
      const axis = axesOf(ctx)[i];
      const work = Number(value);
      const machine = relative ? axis.position() + work : work + s.wco[i];
      if (!Number.isFinite(machine) || Math.abs(machine) > TRAVEL_MM) return ctx.reply('error:15');
      targets.push([i, machine]);
    }
    ctx.reply('ok');
    for (const [i, machine] of targets) ctx.startMove(axesOf(ctx)[i], machine);
  };

  return {
    protocol: 'grbl',
    defaultNativePerUm: 0.001,
    inputTerminator: '\n',
    replyTerminator: '\r\n',
    realtime(byte, ctx) {
      if (byte === 0x3f) {
        ctx.reply(statusReport(ctx));
        return true;
      }
      if (byte === 0x85 || byte === 0x21) {
        for (const a of axesOf(ctx)) a.stop();
        return true;
      }
      if (byte === 0x18) {
        const wasMoving = axesOf(ctx).some((a) => a.isMoving());
        for (const a of axesOf(ctx)) a.stop();
        if (wasMoving) {
          s.alarm = true;
          ctx.reply('ALARM:3');
        }
        ctx.reply("Grbl 1.1h ['$' for help]");
        return true;
      }
      return byte === 0x7e;
    },
    handle(line, ctx) {
      const t = line.trim();
      if (t === '') return ctx.reply('ok');
      if (t === '$I') {
        ctx.reply('[VER:1.1h.20190825:FocusStation emulator]');
        ctx.reply('[OPT:V,15,128]');
        return ctx.reply('ok');
      }
      if (t.startsWith('$J=')) return jog(t, ctx);
      if (t === '$X') {
        s.alarm = false;
        ctx.reply('[MSG:Caution: Unlocked]');
        return ctx.reply('ok');
      }
      if (t === '$H') {
        const d = ctx.startMove(ctx.axes.z, 0);
        s.alarm = false;
        setTimeout(() => ctx.reply('ok'), d);
        return;
      }
      const g10 = /^G10\s*L20\s*P1\s*((?:[XYZ]-?\d*\.?\d+\s*)+)$/i.exec(t);
      if (g10) {
        for (const [, letter, value] of g10[1].matchAll(/([XYZ])(-?\d*\.?\d+)/gi)) {
          const i = 'XYZ'.indexOf(letter.toUpperCase());
          s.wco[i] = axesOf(ctx)[i].position() - Number(value);
        }
        s.wcoChanged = true;
        return ctx.reply('ok');
      }
      if (/^G4\s*P0$/i.test(t)) {
        const wait = () => (axesOf(ctx).some((a) => a.isMoving()) ? setTimeout(wait, 5) : ctx.reply('ok'));
        return wait();
      }
      if (t.startsWith('$')) return ctx.reply('error:3');
      ctx.reply('error:20');
    },
    errorReply: (line) => (line.startsWith('$J=') ? 'error:15' : 'error:20'),
  };
}
