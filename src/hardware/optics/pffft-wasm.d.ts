// Types for @echogarden/pffft-wasm (an Emscripten build of PFFFT, which ships no typings).
declare module '@echogarden/pffft-wasm/simd' {
  const factory: (moduleArg?: Record<string, unknown>) => Promise<import('./fft').PffftModule>;
  export default factory;
}
declare module '@echogarden/pffft-wasm' {
  const factory: (moduleArg?: Record<string, unknown>) => Promise<import('./fft').PffftModule>;
  export default factory;
}
