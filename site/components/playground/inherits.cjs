/**
 * Node's `util.inherits`, for the browser build of the in-page broker. The `inherits` package (what the util
 * polyfill uses) assigns `ctor.prototype`, which throws on an ES class such as aedes' Client; Node's own
 * version links the prototypes instead, which works for classes and old-style constructors alike.
 * CommonJS, like the package it stands in for: its users `require()` it and call the result.
 */
module.exports = function inherits(ctor, superCtor) {
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true })
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype)
}
