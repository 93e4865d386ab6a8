/**
 * ffmpeg input arguments per source. The synthetic lavfi source is just another input, so tests
 * exercise exactly the frame reader a real camera uses.
 */
export type FfmpegInput =
  | { kind: 'v4l2'; device: string; width?: number; height?: number; frameRate?: number; inputFormat?: string }
  | { kind: 'dshow'; device: string; width?: number; height?: number; frameRate?: number }
  | { kind: 'avfoundation'; device: string; width?: number; height?: number; frameRate?: number }
  | { kind: 'lavfi'; graph: string };

export type RawPixelFormat = 'rgb24' | 'gray' | 'gray16le';

export function bytesPerPixel(format: RawPixelFormat): number {
  return format === 'rgb24' ? 3 : format === 'gray16le' ? 2 : 1;
}

function sizeArgs(i: { width?: number; height?: number; frameRate?: number }): string[] {
  const out: string[] = [];
  if (i.frameRate) out.push('-framerate', String(i.frameRate));
  if (i.width && i.height) out.push('-video_size', `${i.width}x${i.height}`);
  return out;
}

export function inputArgs(input: FfmpegInput): string[] {
  switch (input.kind) {
    case 'v4l2':
      return [
        '-f',
        'v4l2',
        ...(input.inputFormat ? ['-input_format', input.inputFormat] : []),
        ...sizeArgs(input),
        '-i',
        input.device,
      ];
    case 'dshow':
      return ['-f', 'dshow', ...sizeArgs(input), '-i', `video=${input.device}`];
    case 'avfoundation':
      // "<video index or name>:none" - no audio.
      return ['-f', 'avfoundation', ...sizeArgs(input), '-i', `${input.device}:none`];
    case 'lavfi':
      return ['-f', 'lavfi', '-i', input.graph];
  }
}

/** The whole command line: one input, raw frames of a fixed size and format on stdout. */
export function captureArgs(
  input: FfmpegInput,
  output: { format: RawPixelFormat; width: number; height: number },
): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...inputArgs(input),
    '-an',
    // Scaling to the announced size keeps every frame exactly width*height*bpp bytes.
    '-vf',
    `scale=${output.width}:${output.height}`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    output.format,
    'pipe:1',
  ];
}

/** The default live source of each platform. */
export function platformInputKind(platform: NodeJS.Platform = process.platform): 'v4l2' | 'dshow' | 'avfoundation' {
  return platform === 'win32' ? 'dshow' : platform === 'darwin' ? 'avfoundation' : 'v4l2';
}
