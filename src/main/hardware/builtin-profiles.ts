/**
 * The profiles every installation has: the virtual microscope at the paper's two setups. They are read-only (a
 * calibration saved into one lands in a copy) and are what a fresh machine, or a failed reconnect, falls back to.
 */
import { HardwareProfile, profileId } from '../../shared/hardware-profile';
import type { ProfileEntry } from '../../shared/procedures/profiles';

function virtualProfile(setup: '20x' | '40x'): HardwareProfile {
  return HardwareProfile.parse({
    name: `Virtual microscope (${setup})`,
    camera: { kind: 'sim' },
    // The simulator's own defaults (SimOptionsSchema): soft limits, settle time, no backlash.
    stage: { driver: 'sim', limits: { minUm: -500, maxUm: 500 }, settleMs: 30, backlashUm: 0, zDirection: 1 },
    xyStage: {
      driver: 'sim',
      limits: { x: { minUm: -50_000, maxUm: 50_000 }, y: { minUm: -50_000, maxUm: 50_000 } },
      settleMs: 50,
    },
    opticalSetupId: setup,
    notes: 'Built in: a simulated brightfield microscope rendering the shipped slide through a physical optics model.',
  });
}

export const BUILTIN_PROFILES: readonly ProfileEntry[] = (['20x', '40x'] as const).map((setup) => {
  const profile = virtualProfile(setup);
  return { id: profileId(profile.name), builtin: true, profile };
});

/** The built-in profile of a setup ('20x' when the setup has none). */
export function builtinFor(setupId: string | undefined): ProfileEntry {
  return BUILTIN_PROFILES.find((p) => p.profile.opticalSetupId === setupId) ?? BUILTIN_PROFILES[0];
}

export function findBuiltin(id: string): ProfileEntry | undefined {
  return BUILTIN_PROFILES.find((p) => p.id === id);
}
