/** The Hardware page's profile form: profile -> fields -> profile round trips, and the first problem in words. */
import { describe, expect, it } from 'vitest';
import { HardwareProfile } from '../../../src/shared/hardware-profile';
import { BUILTIN_PROFILES } from '../../../src/main/hardware/builtin-profiles';
import {
  draftFromProfile,
  draftProblem,
  emptyDraft,
  profileFromDraft,
} from '../../../src/renderer/src/components/hardware/profile-draft';

const bench = HardwareProfile.parse({
  name: 'Bench',
  camera: {
    kind: 'ffmpeg',
    input: 'v4l2',
    device: '/dev/video2',
    width: 1920,
    height: 1080,
    inputFormat: 'mjpeg',
    pixelSizeUm: 0.1725,
    gain: 2,
    frameRate: 15,
  },
  stage: {
    driver: 'asi',
    port: '/dev/ttyUSB1',
    baud: 115200,
    stepsPerUm: 10,
    zDirection: -1,
    limits: { minUm: -50, maxUm: 900 },
    backlashUm: 1.25,
    settleMs: 40,
    timeoutMs: 700,
    moveTimeoutMs: 9000,
  },
  xyStage: {
    driver: 'same-controller',
    limits: { x: { minUm: 0, maxUm: 1e5 }, y: { minUm: 0, maxUm: 7e4 } },
    stepsPerUm: { x: 10, y: 12.5 },
    direction: { x: 1, y: -1 },
    settleMs: 120,
  },
  opticalSetupId: '40x',
  notes: 'left bench',
});

describe('profile form', () => {
  it('round-trips the built-in and a real profile', () => {
    for (const p of [...BUILTIN_PROFILES.map((b) => b.profile), bench]) {
      const back = HardwareProfile.parse(profileFromDraft(draftFromProfile(p)));
      expect({ ...back, updatedAt: undefined }).toEqual({ ...p, updatedAt: undefined });
    }
  });

  it('names the first problem, and none for a complete profile', () => {
    const d = draftFromProfile(bench);
    expect(draftProblem(d)).toBeNull();
    expect(draftProblem({ ...d, port: ' ' })).toBe('stage.port: a serial stage needs a port');
    expect(draftProblem({ ...d, minUm: 10, maxUm: 5 })).toBe(
      'stage.limits: the lower soft limit must be below the upper one',
    );
    expect(draftProblem({ ...d, name: '' })).toMatch(/^name: /);
    expect(draftProblem({ ...d, cameraPixelSizeUm: null })).toMatch(/^camera.pixelSizeUm: /);
    expect(draftProblem({ ...emptyDraft(), name: 'New' })).toBeNull();
  });

  it('keeps the settings the form does not show, unless the camera kind or the stage type changes', () => {
    const d = draftFromProfile(bench);
    const same = profileFromDraft({ ...d, baud: null });
    expect(same.camera).toMatchObject({ gain: 2, frameRate: 15 });
    expect(same.stage).toMatchObject({ timeoutMs: 700, moveTimeoutMs: 9000, baud: undefined });
    const other = profileFromDraft({ ...d, cameraKind: 'folder', folder: '/data/in', driver: 'sim' });
    expect(other.camera).toEqual({ kind: 'folder', folder: '/data/in', pixelSizeUm: 0.1725 });
    expect(other.stage).not.toHaveProperty('timeoutMs');
  });

  it('leaves the serial fields out of a simulated stage', () => {
    const d = { ...draftFromProfile(BUILTIN_PROFILES[0].profile), port: '/dev/ttyUSB0', baud: 9600 };
    expect(profileFromDraft(d).stage).not.toHaveProperty('port');
  });
});
