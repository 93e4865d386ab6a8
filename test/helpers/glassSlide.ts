/** A slide of bare glass for the virtual microscope (a white image): where an operator takes a white reference. */
import path from 'node:path';
import sharp from 'sharp';

export async function writeGlassSlide(dir: string, name = 'glass.png'): Promise<string> {
  const file = path.join(dir, name);
  await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .png()
    .toFile(file);
  return file;
}

/** A slide with tissue (a shared slide image) on its left half and bare glass on its right: a field at its centre shows both. */
export async function writeHalfGlassSlide(dir: string, name = 'half-glass.png'): Promise<string> {
  const file = path.join(dir, name);
  const tissue = await sharp(path.resolve(__dirname, '../../../shared/data/slides/HE_high_nuclei_score_level0.png'))
    .resize(512, 1024, { fit: 'cover' })
    .removeAlpha()
    .toBuffer();
  await sharp({ create: { width: 1024, height: 1024, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite([{ input: tissue, left: 0, top: 0 }])
    .png()
    .toFile(file);
  return file;
}
