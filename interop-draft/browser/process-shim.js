// The Node.js `process` that jszmq's dependencies (util, assert) look at, as far as they do in
// a browser: no environment, no debug output, nextTick as a microtask.
export const process = {
  env: {},
  nextTick: (callback, ...args) => queueMicrotask(() => callback(...args)),
};
