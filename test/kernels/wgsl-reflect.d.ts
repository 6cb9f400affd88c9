// wgsl_reflect's ESM entry has no types of its own beside it; its package types describe it.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
