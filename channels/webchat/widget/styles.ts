/**
 * The widget's styles, scoped under .tandem. Colours: text at least 4.5:1 on its background
 * (WCAG 1.4.3), focus ring and borders at least 3:1 (1.4.11); no motion when the user asks for less.
 */
export const CSS = `
.tandem{--tb:#1d4ed8;--tbd:#1e3a8a;--tt:#111827;--tm:#374151;--tf:#111827;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--tt);text-align:left}
.tandem *,.tandem *::before,.tandem *::after{box-sizing:border-box}
.tandem h2,.tandem h3,.tandem p{color:inherit;font-family:inherit;letter-spacing:normal;text-transform:none}
.tandem :focus-visible{outline:3px solid var(--tf);outline-offset:2px}
.tandem-float{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;display:flex;flex-direction:column;align-items:flex-end;gap:.75rem}
.tandem-sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.tandem button{font:inherit;cursor:pointer}
.tandem-launcher{display:inline-flex;align-items:center;gap:.5rem;border:0;border-radius:999px;background:var(--tb);color:#fff;font-weight:600;padding:.75rem 1.25rem;box-shadow:0 2px 8px rgba(0,0,0,.25)}
.tandem-launcher:hover{background:var(--tbd)}
.tandem-launcher svg{width:1.25rem;height:1.25rem;fill:currentColor}
.tandem-panel{display:flex;flex-direction:column;width:100%;max-width:40rem;height:34rem;max-height:calc(100vh - 2rem);background:#fff;border:1px solid #6b7280;border-radius:.75rem;overflow:hidden;box-shadow:0 4px 20px rgba(0,0,0,.18)}
.tandem-float .tandem-panel{width:min(26rem,calc(100vw - 2rem));height:min(36rem,calc(100vh - 6rem))}
.tandem-panel[hidden],.tandem-launcher[hidden],.tandem-typing[hidden]{display:none}
.tandem-head{display:flex;align-items:center;gap:.75rem;background:var(--tbd);color:#fff;padding:.75rem 1rem}
.tandem-head h2{margin:0;color:#fff;font-size:1.125rem;line-height:1.2}
.tandem-head p{margin:0;font-size:.875rem}
.tandem-head div{flex:1}
.tandem-head :focus-visible{outline-color:#fff}
.tandem-close{border:2px solid transparent;background:transparent;color:#fff;border-radius:.5rem;width:2.5rem;height:2.5rem;font-size:1.5rem;line-height:1}
.tandem-close:hover{border-color:#fff}
.tandem-log{position:relative;flex:1;overflow-y:auto;padding:1rem;display:flex;flex-direction:column;gap:.75rem;scroll-behavior:smooth}
.tandem-log:focus-visible{outline-offset:-3px}
.tandem-msg{display:flex;flex-direction:column;align-items:flex-start;gap:.5rem;max-width:88%}
.tandem-user{align-self:flex-end;align-items:flex-end}
.tandem-bubble{white-space:pre-wrap;overflow-wrap:anywhere;padding:.5rem .875rem;border-radius:1rem;background:#eef2f7;color:var(--tt)}
.tandem-bot .tandem-bubble{border-bottom-left-radius:.25rem}
.tandem-user .tandem-bubble{background:var(--tb);color:#fff;border-bottom-right-radius:.25rem}
.tandem-bubble a{color:#1d4ed8;text-decoration:underline}
.tandem-user .tandem-bubble a{color:#fff}
.tandem-actions{display:flex;flex-wrap:wrap;gap:.5rem}
.tandem-action{border:2px solid var(--tb);background:#fff;color:var(--tb);border-radius:999px;padding:.375rem .875rem;font-weight:600;text-align:left}
.tandem-action:hover:not(:disabled){background:#dbeafe}
a.tandem-action{text-decoration:underline}
.tandem-action:disabled{cursor:not-allowed;border-color:#9ca3af;background:#f3f4f6;color:#4b5563}
.tandem-action.tandem-chosen:disabled{border-color:var(--tb);background:var(--tb);color:#fff}
.tandem-card{border:1px solid #6b7280;border-radius:.75rem;padding:.75rem;background:#fff;display:flex;flex-direction:column;gap:.5rem}
.tandem-card img{max-width:100%;border-radius:.5rem}
.tandem-card h3{margin:0;font-size:1rem}
.tandem-card p{margin:0;white-space:pre-wrap}
.tandem-card .tandem-sub{color:var(--tm);font-size:.875rem}
.tandem-typing{display:flex;align-items:center;gap:.5rem;padding:0 1rem .5rem;color:var(--tm);font-size:.875rem}
.tandem-dots{display:inline-flex;gap:3px}
.tandem-dots span{width:6px;height:6px;border-radius:50%;background:var(--tm);animation:tandem-blink 1.2s infinite ease-in-out}
.tandem-dots span:nth-child(2){animation-delay:.2s}
.tandem-dots span:nth-child(3){animation-delay:.4s}
@keyframes tandem-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}
.tandem-note{margin:0;color:var(--tm);font-size:.875rem;text-align:center}
.tandem-status{margin:0;padding:0 1rem;color:#b91c1c;font-size:.875rem}
.tandem-status:empty{display:none}
.tandem-handoff{padding:.5rem 1rem;border-top:1px solid #d1d5db;font-size:.875rem;text-align:right}
.tandem-handoff-btn,.tandem-handoff-link{border:2px solid var(--tb);border-radius:999px;padding:.25rem .875rem;font-weight:600;background:#fff;color:var(--tb)}
.tandem-handoff-btn:hover{background:#dbeafe}
.tandem-handoff-link{display:inline-block;background:var(--tb);color:#fff}
.tandem-handoff-link:hover{background:var(--tbd)}
.tandem-handoff-note{margin:0;color:var(--tm)}
.tandem-handoff-note:not(:empty){margin-top:.375rem}
.tandem-handoff .tandem-handoff-error{color:#b91c1c}
.tandem-form{display:flex;gap:.5rem;padding:.75rem;border-top:1px solid #6b7280;background:#fff}
.tandem-input{flex:1;min-width:0;font:inherit;color:var(--tt);background:#fff;border:2px solid #6b7280;border-radius:.5rem;padding:.5rem .75rem}
.tandem-input::placeholder{color:#4b5563;opacity:1}
.tandem-input:focus-visible{outline-offset:1px;border-color:var(--tb)}
.tandem-send{border:0;border-radius:.5rem;background:var(--tb);color:#fff;font-weight:600;padding:.5rem 1rem}
.tandem-send:hover{background:var(--tbd)}
@media (prefers-reduced-motion:reduce){.tandem *{animation:none!important;transition:none!important;scroll-behavior:auto!important}.tandem-dots span{opacity:.7}}
@media (forced-colors:active){.tandem-action:disabled{color:GrayText}.tandem-bubble,.tandem-card{border:1px solid CanvasText}}
`;
