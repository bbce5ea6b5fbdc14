// xhr2 ships no types; the Direct Line client only needs it as the global XMLHttpRequest.
declare module 'xhr2' {
  const XMLHttpRequest: typeof globalThis.XMLHttpRequest;
  export default XMLHttpRequest;
}
