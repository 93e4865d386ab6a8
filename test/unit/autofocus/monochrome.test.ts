/** Which frames count as a monochrome camera's (predict then prefers a model made for monochrome cameras). */
import { describe, expect, it } from 'vitest';
import { isMonochrome } from '../../../src/main/autofocus/image-file';
import { tissueFrame } from './frames';

describe('a monochrome frame', () => {
  it('is one channel, or three equal ones', () => {
    const grey = tissueFrame(1, 64, 48, { channels: 1 });
    expect(isMonochrome(grey)).toBe(true);
    const replicated = Uint8Array.from({ length: 64 * 48 * 3 }, (_, i) => grey.data[Math.floor(i / 3)]);
    expect(isMonochrome({ channels: 3, bitDepth: 8, data: replicated })).toBe(true);
  });

  it("allows JPEG's small colour round-trip differences, not stain colour", () => {
    const grey = tissueFrame(1, 64, 48, { channels: 1 });
    const jpegLike = Uint8Array.from({ length: 64 * 48 * 3 }, (_, i) =>
      Math.min(255, grey.data[Math.floor(i / 3)] + (i % 3 === 2 ? 1 : 0)),
    );
    expect(isMonochrome({ channels: 3, bitDepth: 8, data: jpegLike })).toBe(true);
    expect(isMonochrome(tissueFrame(1, 64, 48))).toBe(false);
    // one coloured pixel in a grey field is colour
    jpegLike[3 * 100] = Math.max(0, jpegLike[3 * 100] - 40);
    expect(isMonochrome({ channels: 3, bitDepth: 8, data: jpegLike })).toBe(false);
  });

  it('judges 16-bit frames on their own scale', () => {
    const deep = Uint16Array.from({ length: 30 }, (_, i) => 30000 + (i % 3) * 300);
    expect(isMonochrome({ channels: 3, bitDepth: 16, data: deep })).toBe(true);
    const tinted = Uint16Array.from({ length: 30 }, (_, i) => 30000 + (i % 3) * 3000);
    expect(isMonochrome({ channels: 3, bitDepth: 16, data: tinted })).toBe(false);
  });
});
