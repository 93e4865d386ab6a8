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
