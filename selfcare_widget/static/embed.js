/*!
 * Self-care widget loader.
 *
 * Partners embed the widget with two lines:
 *   <div data-selfcare-widget data-partner="demo-mobil" data-token-url="/selfcare-token"></div>
 *   <script src="https://WIDGET/embed.js" async></script>
 *
 * For every [data-selfcare-widget] element the loader attaches a shadow root, adopts the base
 * CSS and the partner theme, shows a skeleton, signs on (SSO token from data-token-url or
 * data-token, exchanged at /sso/exchange) and lets a private copy of htmx swap fragments from
 * the widget into that root only.
 *
 * Security and performance rules kept here:
 * - the session token lives in this closure only (no cookie, no storage, never in a URL) and is
 *   sent only to the widget's own origin, in the form body of POST requests;
 * - requests carry no custom headers, so they are "simple" CORS requests: one round trip per
 *   interaction, no preflight;
 * - the host page's own htmx (window.htmx, document processing, history) is left untouched.
 *
 * Host page events on the widget element: selfcare:ready, selfcare:signed-out,
 * selfcare:session-expired, selfcare:action (detail.action = the EDR action name).
 */
(() => {
  "use strict";

  const MANIFEST = "__SELFCARE_MANIFEST__";
  const LOADER = Symbol.for("selfcare-widget.loader");
  if (window[LOADER]) {
    window[LOADER].scan();
    return;
  }

  const script =
    document.currentScript || document.querySelector('script[src*="/embed.js"]');
  const ORIGIN = new URL(script ? script.src : location.href, location.href).origin;
  const own = (path) => new URL(path, ORIGIN + "/").href;

  const TEXT = {
    cs: {
      loading: "Načítání samoobsluhy…",
      failed: "Samoobsluhu se nepodařilo načíst. Zkuste to prosím později.",
      offline: "Spojení se nezdařilo. Zkontrolujte připojení a zkuste to znovu.",
    },
    en: {
      loading: "Loading self-care…",
      failed: "Self-care could not be loaded. Please try again later.",
      offline: "The connection failed. Check your connection and try again.",
    },
  };

  // Shown before any stylesheet arrives; adopted sheets are not subject to style-src CSP.
  const SKELETON_CSS =
    ":host{display:block;min-height:12rem}" +
    ".sc-boot{display:grid;gap:.6rem;padding:1rem}" +
    ".sc-boot i{display:block;height:1.1rem;border-radius:4px;background:#e4e7ec}" +
    ".sc-boot i:nth-child(2){width:80%}.sc-boot i:nth-child(3){width:60%}" +
    ".sc-fail{padding:1rem;border-radius:8px;background:#fde8e8;color:#a51d1d}";

  let htmxReady = null;

  /** Import our htmx without letting it touch the host page. */
  function loadHtmx() {
    if (!htmxReady) {
      const hostHtmx = Object.getOwnPropertyDescriptor(window, "htmx");
      htmxReady = import(own(MANIFEST.htmx)).then((module) => {
        const htmx = module.default;
        // The ESM build assigns window.htmx: give the host its own back.
        if (hostHtmx) Object.defineProperty(window, "htmx", hostHtmx);
        else delete window.htmx;
        // Its document-wide start-up runs in a later task; replace it before it does, so it
        // never processes document.body nor installs history listeners.
        htmx.initialize = () => {};
        Object.assign(htmx.config, {
          history: false,
          mode: "cors",
          defaultSwap: "innerHTML",
          implicitInheritance: false,
          transitions: false,
        });
        if (htmx.indicatorStyleSheet) {
          document.adoptedStyleSheets = document.adoptedStyleSheets.filter(
            (sheet) => sheet !== htmx.indicatorStyleSheet,
          );
        }
        return htmx;
      });
    }
    return htmxReady;
  }

  class Widget {
    constructor(host) {
      this.host = host;
      this.partner = host.dataset.partner || "";
      this.section = host.dataset.section || "overview";
      this.lang = (host.dataset.locale || document.documentElement.lang || "cs").slice(0, 2);
      this.text = TEXT[this.lang] || TEXT.cs;
      this.token = null;
      this.reSignOn = null;
      this.ready = false;
      this.inFlight = new Map();
    }

    emit(name, detail = {}) {
      this.host.dispatchEvent(new CustomEvent(name, { detail, bubbles: true }));
    }

    async start() {
      this.root = this.host.shadowRoot || this.host.attachShadow({ mode: "open" });
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(SKELETON_CSS);
      this.root.adoptedStyleSheets = [sheet];
      const themes = (MANIFEST.themes || {})[this.partner] || [];
      const links = [MANIFEST.css, ...themes]
        .map((href) => `<link rel="stylesheet" href="${own(href)}">`)
        .join("");
      this.root.innerHTML =
        links +
        `<div id="sc-app" aria-live="polite" aria-busy="true">` +
        `<div class="sc-boot" role="status" aria-label="${this.text.loading}"><i></i><i></i><i></i></div></div>`;
      this.app = this.root.getElementById("sc-app");
      for (const [name, handler] of [
        ["htmx:config:request", this.onConfigRequest],
        ["htmx:before:request", this.onBeforeRequest],
        ["htmx:after:swap", this.onAfterSwap],
        ["htmx:error", this.onError],
      ]) {
        this.root.addEventListener(name, handler.bind(this));
      }
      this.root.addEventListener("click", (event) => this.onDownloadClick(event));
      const [htmx, signedOn] = await Promise.all([loadHtmx(), this.exchange()]);
      this.htmx = htmx;
      if (signedOn) this.load("/w/shell", { section: this.section });
      else this.load("/auth/signin");
    }

    /** Swap a widget fragment into the whole widget through htmx (same path as clicks). */
    load(path, values = {}) {
      const trigger = document.createElement("div");
      trigger.setAttribute("hx-post", path);
      trigger.setAttribute("hx-trigger", "load");
      trigger.setAttribute("hx-target", "#sc-app");
      trigger.setAttribute("hx-vals", JSON.stringify(values));
      this.app.setAttribute("aria-busy", "true");
      this.app.replaceChildren(trigger);
      this.htmx.process(trigger);
    }

    /** The partner-signed SSO token: data-token (single use) or data-token-url (same origin). */
    async ssoToken() {
      if (this.host.dataset.token) {
        const token = this.host.dataset.token;
        delete this.host.dataset.token;
        return token;
      }
      const url = this.host.dataset.tokenUrl;
      if (!url || new URL(url, location.href).origin !== location.origin) return null;
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json, text/plain" },
        cache: "no-store",
      });
      if (!response.ok) return null;
      if ((response.headers.get("Content-Type") || "").includes("json")) {
        return (await response.json()).token || null;
      }
      return (await response.text()).trim() || null;
    }

    /** Exchange an SSO token for a widget session; false if there is none or it is refused. */
    async exchange() {
      try {
        const token = await this.ssoToken();
        if (!token) return false;
        const response = await fetch(own("/sso/exchange"), {
          method: "POST",
          body: new URLSearchParams({ token, partner: this.partner }),
          credentials: "omit",
        });
        if (!response.ok) return false;
        this.token = (await response.json()).session;
        return Boolean(this.token);
      } catch (error) {
        return false;
      }
    }

    onConfigRequest(event) {
      const ctx = event.detail.ctx;
      const url = new URL(ctx.request.action, ORIGIN + "/");
      // Fragments only ever talk to the widget, and only with POST (the token rides in the body).
      if (url.origin !== ORIGIN || ctx.request.method !== "POST") {
        event.preventDefault();
        return;
      }
      ctx.request.action = url.href;
      ctx.request.credentials = "omit";
      if (this.token) ctx.request.body.set("_st", this.token);
      ctx.request.body.set("_partner", this.partner);
      ctx.fetch = (input, init) => this.fetch(input, init);
      // A newer request for the same region wins: without this, a slow first section could
      // arrive after (and overwrite) the section the customer already clicked to.
      const region = ctx.target && ["sc-main", "sc-app"].includes(ctx.target.id) ? ctx.target.id : null;
      if (region) {
        const previous = this.inFlight.get(region);
        if (previous && previous !== ctx) previous.request.abort();
        this.inFlight.set(region, ctx);
      }
      // Remember now whether the customer is working inside the widget: by the time the swap is
      // done, the focused control may have been disabled or replaced.
      this.focusInside = this.root.activeElement !== null;
      const nav = ctx.sourceElement.closest("[data-sc-nav]");
      if (nav) this.markSection(nav.dataset.scNav);
      if (ctx.target) ctx.target.setAttribute("aria-busy", "true");
      ctx.busyElement = ctx.target;
    }

    onBeforeRequest(event) {
      // Any non-safelisted header would cost a CORS preflight per URL.
      const headers = event.detail.ctx.request.headers;
      for (const name of Object.keys(headers)) {
        if (name.toLowerCase() !== "accept") delete headers[name];
      }
    }

    /** The element a request swapped into (HX-Retarget leaves a selector in ctx.target). */
    swappedInto(ctx) {
      return typeof ctx.target === "string" ? this.root.querySelector(ctx.target) : ctx.target;
    }

    onAfterSwap(event) {
      const ctx = event.detail.ctx;
      const target = this.swappedInto(ctx);
      for (const busy of [ctx.busyElement, target]) if (busy) busy.removeAttribute("aria-busy");
      const section = target && target.querySelector("[data-sc-section]");
      if (section) this.markSection(section.dataset.scSection);
      if (!this.ready && this.token && this.root.querySelector(".sc-shell")) {
        this.ready = true;
        this.emit("selfcare:ready", { partner: this.partner });
      }
      // Move focus only when the customer is working inside the widget; never steal it from
      // the host page on first load.
      const focusable = target && target.querySelector("[data-sc-focus]");
      if (focusable && this.focusInside) focusable.focus();
    }

    onError(event) {
      const target = event.detail.ctx && this.swappedInto(event.detail.ctx);
      if (target) this.fail(target, this.text.offline);
    }

    markSection(id) {
      for (const item of this.root.querySelectorAll("[data-sc-nav]")) {
        if (item.dataset.scNav === id) item.setAttribute("aria-current", "page");
        else item.removeAttribute("aria-current");
      }
    }

    fail(target, message) {
      target.removeAttribute("aria-busy");
      const box = document.createElement("p");
      box.className = "sc-fail sc-error-box";
      box.setAttribute("role", "alert");
      box.textContent = message;
      target.replaceChildren(box);
    }

    /** File downloads (e.g. invoice PDFs): [data-sc-download="<path>"] + data-sc-values='{...}'.
     *  An authenticated POST like every fragment request (the token rides in the body, never in a
     *  URL), then the blob is saved through a temporary object URL and <a download>. */
    onDownloadClick(event) {
      const button = event.target.closest && event.target.closest("[data-sc-download]");
      if (!button || button.classList.contains("htmx-request")) return;
      event.preventDefault();
      this.download(button);
    }

    async download(button) {
      const url = new URL(button.dataset.scDownload, ORIGIN + "/");
      if (url.origin !== ORIGIN) return;
      const body = new URLSearchParams(JSON.parse(button.dataset.scValues || "{}"));
      if (this.token) body.set("_st", this.token);
      body.set("_partner", this.partner);
      button.classList.add("htmx-request");
      button.setAttribute("aria-busy", "true");
      try {
        const response = await this.fetch(url.href, { method: "POST", body, credentials: "omit" });
        if (!response.ok || response.status === 204) throw new Error(String(response.status));
        const match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
        const link = document.createElement("a");
        link.href = URL.createObjectURL(await response.blob());
        link.download = match ? match[1] : "download";
        link.hidden = true;
        this.root.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      } catch (error) {
        const note = document.createElement("span");
        note.className = "sc-field-error";
        note.setAttribute("role", "alert");
        note.textContent = this.text.offline;
        button.after(note);
      } finally {
        button.classList.remove("htmx-request");
        button.removeAttribute("aria-busy");
      }
    }

    /** fetch for htmx: reads session headers; on 401 re-runs SSO once and retries. */
    async fetch(input, init) {
      let response = await fetch(input, init);
      if (response.status === 401 && this.token) {
        this.token = null;
        this.reSignOn = this.reSignOn || this.exchange().finally(() => (this.reSignOn = null));
        if (await this.reSignOn) {
          const body = new URLSearchParams(init.body);
          body.set("_st", this.token);
          response = await fetch(input, { ...init, body });
        }
        if (response.status === 401) {
          this.token = null;
          this.ready = false;
          this.emit("selfcare:session-expired");
          this.load("/auth/signin");
          return new Response(null, { status: 204 });
        }
      }
      const session = response.headers.get("X-Selfcare-Session");
      if (session) this.token = session;
      if (response.headers.get("X-Selfcare-Signed-Out")) {
        this.token = null;
        this.ready = false;
        this.emit("selfcare:signed-out");
      }
      const action = response.headers.get("X-Selfcare-Action");
      if (action) this.emit("selfcare:action", { action });
      return response;
    }
  }

  const started = new WeakSet();

  function showFailure(host, message) {
    const root = host.shadowRoot;
    const box = document.createElement("p");
    box.setAttribute("role", "alert");
    box.className = "sc-fail";
    box.textContent = message;
    if (root) root.replaceChildren(box);
    else host.replaceChildren(box);
  }

  function scan() {
    for (const host of document.querySelectorAll("[data-selfcare-widget]")) {
      if (started.has(host)) continue;
      started.add(host);
      const widget = new Widget(host);
      widget.start().catch(() => showFailure(host, widget.text.failed));
    }
  }

  window[LOADER] = { scan };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
})();
