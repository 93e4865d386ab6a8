export * from './native';
export * from './mapping';
export * from './limited-z-stage';
export * from './limited-xy-stage';
export * from './approach';
export * from './from-profile';
