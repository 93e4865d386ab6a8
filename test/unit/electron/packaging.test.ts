/**
 * The installer configuration (electron-builder.yml): the four targets the product ships, and everything native code
 * reads by path unpacked from the asar (a packed onnxruntime or sqlite binding fails only on the user's machine).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..', '..');
const config = yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<string, any>;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('electron-builder.yml', () => {
  it('builds AppImage + deb, NSIS and dmg', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.win.target).toContain('nsis');
    expect(config.mac.target).toContain('dmg');
  });

  it('unpacks the shipped models and every native dependency from the asar', () => {
    const unpacked: string[] = config.asarUnpack;
    expect(unpacked).toContain('resources/**');
    for (const dep of ['better-sqlite3', 'sharp', 'onnxruntime-node', '@serialport']) {
      expect(unpacked.some((p) => p.includes(`node_modules/${dep}/`))).toBe(true);
    }
    const natives = ['better-sqlite3', 'sharp', 'onnxruntime-node', 'serialport'];
    for (const dep of natives) expect(pkg.dependencies[dep]).toBeTruthy();
  });

  it('packs the built app and the models, not the training code or tests', () => {
    expect(config.files).toEqual(expect.arrayContaining(['out/**', 'resources/**', '!training/**', '!test/**']));
    expect(pkg.main).toBe('./out/main/index.js');
  });
});
