/**
 * Property: whatever sequence of moveTo/moveBy a caller asks (NaN, infinities, huge, tiny, ordinary),
 * no move command the driver writes ever takes Z outside the soft limits. Checked on the bytes
 * actually written to the link, decoded independently of the driver, for every protocol.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEmulator, memoryWiring } from '../../../src/hardware/emulators';
import { createSerialStage } from '../../../src/hardware/serial/factory';
import { PROTOCOL_NAMES, type ProtocolName } from '../../../src/hardware/serial/protocol';
import { HardwareError } from '../../../src/hardware/types';

type Op = { kind: 'moveTo' | 'moveBy'; value: number };

const anyNumber = fc.oneof(
  fc.double({ noNaN: false }),
  fc.double({ min: -400, max: 400, noNaN: true }),
  fc.double({ min: -1e-6, max: 1e-6, noNaN: true }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 1e308, -1e308, Number.MIN_VALUE, -0, 0.5, -0.5),
);
const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('moveTo' as const, 'moveBy' as const),
  value: anyNumber,
});

/** Decodes the Z targets (native units) from the bytes a driver wrote, starting from native 0. */
function zTargetsFromBytes(protocol: ProtocolName, text: string): number[] {
  const targets: number[] = [];
  let z = 0;
  const each = (re: RegExp, f: (m: RegExpMatchArray) => void) => {
    for (const m of text.matchAll(re)) f(m);
  };
  switch (protocol) {
    case 'grbl':
      each(/\$J=G90 G21 Z(-?\d+(?:\.\d+)?) F/g, (m) => targets.push(Number(m[1])));
      break;
    case 'asi':
      each(/M Z=(-?\d+(?:\.\d+)?)\r/g, (m) => targets.push(Number(m[1])));
      break;
    case 'ludl':
      each(/MOVE Z=(-?\d+)\r/g, (m) => targets.push(Number(m[1])));
      break;
    case 'tango':
      each(/!moa z (-?\d+(?:\.\d+)?)\r/g, (m) => targets.push(Number(m[1])));
      break;
    case 'prior':
      each(/(?:^|\r)([UD]),(\d+)\r/g, (m) => {
        z += (m[1] === 'U' ? 1 : -1) * Number(m[2]);
        targets.push(z);
      });
      break;
    case 'sangaboard':
      each(/mrz (-?\d+)\n/g, (m) => {
        z += Number(m[1]);
        targets.push(z);
      });
      break;
  }
  return targets;
}

describe.each(PROTOCOL_NAMES)('soft limits (%s)', (protocol) => {
  it('no move command ever leaves the soft limits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: -300, max: 0, noNaN: true }),
        fc.double({ min: 0, max: 300, noNaN: true }),
        fc.constantFrom(1 as const, -1 as const),
        fc.array(op, { minLength: 1, maxLength: 12 }),
        async (minUm, maxUm, zDirection, ops) => {
          const emulator = createEmulator(protocol, { speedUmPerS: Infinity });
          const wiring = memoryWiring(emulator);
          const stage = createSerialStage({
            driver: protocol,
            port: '/dev/fake',
            openLink: wiring.openLink,
            stepsPerUm: emulator.nativePerUm,
            zDirection,
            limits: { minUm, maxUm },
            pollMs: 1,
            // In memory the controller answers at once: no need to wait long for the resync reply.
            lineClearMs: 20,
          });
          await stage.connect();
          for (const o of ops) {
            try {
              await (o.kind === 'moveTo' ? stage.moveTo(o.value) : stage.moveBy(o.value));
            } catch (err) {
              // Refusals are fine; anything else is a bug.
              expect(err).toBeInstanceOf(HardwareError);
              expect((err as HardwareError).kind).toBe('limit');
            }
          }
          await stage.disconnect();
          const written = wiring
            .all()
            .map((l) => l.writtenText())
            .join('');
          const targets = zTargetsFromBytes(protocol, written);
          const tol = 1e-6;
          for (const native of targets) {
            const um = (zDirection * native) / emulator.nativePerUm;
            expect(um).toBeGreaterThanOrEqual(minUm - tol);
            expect(um).toBeLessThanOrEqual(maxUm + tol);
          }
          // The emulator agrees: every move it started ended inside the limits.
          for (const m of emulator.moves) {
            const um = (zDirection * m.toNative) / emulator.nativePerUm;
            expect(um).toBeGreaterThanOrEqual(minUm - tol);
            expect(um).toBeLessThanOrEqual(maxUm + tol);
          }
          // And the decoder is not vacuous: every emulator move shows up in the bytes.
          expect(targets.length).toBe(emulator.moves.length);
        },
      ),
      { numRuns: 40 },
    );
  });
});
