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
 * selfcare:session-expired, selfcare:action (detail.action = the EDR action name),
 * selfcare:pay (a card payment for the portal's own gateway; docs/payments.md).
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

  /** Form fields of every widget request: the session token and the partner id. */
  const FIELDS = Object.freeze({ session: "_st", partner: "_partner" });

  const TEXT = {
    cs: {
      loading: "Načítání samoobsluhy…",
      failed: "Samoobsluhu se nepodařilo načíst. Zkuste to prosím později.",
      offline: "Spojení se nezdařilo. Zkontrolujte připojení a zkuste to znovu.",
      unavailable: "Tato část je dočasně nedostupná. Zkuste to prosím za chvíli znovu.",
      retry: "Zkusit znovu",
    },
    en: {
      loading: "Loading self-care…",
      failed: "Self-care could not be loaded. Please try again later.",
      offline: "The connection failed. Check your connection and try again.",
      unavailable: "This part is temporarily unavailable. Please try again in a moment.",
      retry: "Try again",
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

  /** An element announcing an error to screen readers: <tag class="className" role="alert">. */
  function errorBox(message, tag = "p", className = "sc-fail") {
    const box = document.createElement(tag);
    box.className = className;
    box.setAttribute("role", "alert");
    box.textContent = message;
    return box;
  }

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
      this.root = null; // our shadow root (start)
      this.app = null; // #sc-app inside it, the region whole-widget loads swap into (start)
      this.htmx = null; // our private htmx (start)
      this.token = null; // the widget session token: memory only, sent in POST bodies
      this.reSignOn = null; // the SSO exchange in progress after a 401, shared by its requests
      this.ready = false; // selfcare:ready emitted for the current session
      this.inFlight = new Map(); // region id -> htmx ctx of its newest request
      this.focusInside = false; // the customer was working inside the widget when a request began
      this.lastSection = null; // the section last asked for (reopened after signing in again)
      this.payReturn = null; // a card payment's return handed over in the URL fragment (start)
    }

    emit(name, detail = {}) {
      this.host.dispatchEvent(new CustomEvent(name, { detail, bubbles: true }));
    }

    async start() {
      this.root = this.host.shadowRoot || this.host.attachShadow({ mode: "open" });
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(SKELETON_CSS);
      this.root.adoptedStyleSheets = [sheet];
      const theme = MANIFEST.theme.replace("__PARTNER__", encodeURIComponent(this.partner || ""));
      const links = [MANIFEST.css, theme]
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
      this.root.addEventListener("click", (event) => this.onJumpClick(event));
      this.takePayReturn();
      const [htmx, signedOn] = await Promise.all([loadHtmx(), this.exchange()]);
      this.htmx = htmx;
      if (signedOn && this.payReturn) {
        // Back from the partner's payment gateway: the widget verifies and records the payment.
        this.load("/w/payments/return", { returned: this.payReturn });
        this.payReturn = null;
      } else if (signedOn) this.load("/w/shell", { section: this.section });
      else this.load("/auth/signin");
    }

    /** A payment return (#selfcare-pay=..., set by the widget's /pay/return) is taken out of the
     *  address bar at once, so a reload or a shared link never carries it again. */
    takePayReturn() {
      const match = /^#selfcare-pay=([^&]*)$/.exec(location.hash);
      if (!match) return;
      try {
        this.payReturn = decodeURIComponent(match[1]);
      } catch (error) {
        this.payReturn = null;
      }
      history.replaceState(history.state, "", location.pathname + location.search);
    }

    /** Swap a widget fragment into the whole widget through htmx (same path as clicks). */
    load(path, values = {}) {
      const trigger = document.createElement("div");
      trigger.setAttribute("hx-post", path);
      trigger.setAttribute("hx-trigger", "load");
      trigger.setAttribute("hx-target", "#sc-app");
      trigger.setAttribute("hx-vals", JSON.stringify(values));
      this.app.setAttribute("aria-busy", "true");
      // The skeleton stays until the answer replaces it (issue 12: the card was blank meanwhile).
      this.app.replaceChildren(this.skeleton("sc-boot", "i"), trigger);
      this.htmx.process(trigger);
    }

    /** A loading placeholder announced as busy: <div class=className role=status> of 3 bars. */
    skeleton(className, bar) {
      const box = document.createElement("div");
      box.className = className;
      box.setAttribute("role", "status");
      box.setAttribute("aria-label", this.text.loading);
      box.append(...[1, 2, 3].map(() => document.createElement(bar)));
      return box;
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

    /** Add the session fields to a request body (FormData or URLSearchParams); returns it. */
    withSession(body) {
      if (this.token) body.set(FIELDS.session, this.token);
      body.set(FIELDS.partner, this.partner);
      return body;
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
      this.withSession(ctx.request.body);
      // A card payment returns to the page it started on (checked against the partner's origins).
      if (ctx.sourceElement.closest("[data-sc-page-url]")) {
        ctx.request.body.set("_page", location.href.split("#")[0]);
      }
      ctx.fetch = async (input, init) => this.ownAnswer(await this.requestWithSession(input, init), ctx);
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
      if (nav) {
        this.markSection(nav.dataset.scNav);
        this.lastSection = nav.dataset.scNav;
      }
      if (ctx.target) ctx.target.setAttribute("aria-busy", "true");
      ctx.busyElement = ctx.target;
      // Opening a section (a tab, or a link into another section) shows a skeleton in its place.
      if (region === "sc-main" && ctx.sourceElement.closest("[data-sc-nav], [data-sc-opens]")) {
        ctx.target.querySelector(":scope > .sc-skeleton--section")?.remove();
        ctx.target.prepend(this.skeleton("sc-skeleton sc-skeleton--section", "div"));
        ctx.target.setAttribute("data-sc-loading", "");
      }
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
      for (const region of [ctx.busyElement, target]) if (region) region.removeAttribute("data-sc-loading");
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
      target.removeAttribute("data-sc-loading");
      target.replaceChildren(errorBox(message, "p", "sc-fail sc-error-box"));
    }

    /** Links of an error summary ([data-sc-jump="<id>"]) move focus to their field: a plain
     *  #fragment link would change the host page's URL and cannot see into the shadow root. */
    onJumpClick(event) {
      const link = event.target.closest && event.target.closest("[data-sc-jump]");
      if (!link) return;
      event.preventDefault();
      const field = this.root.getElementById(link.dataset.scJump);
      if (field) field.focus();
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
      const values = JSON.parse(button.dataset.scValues || "{}");
      const body = this.withSession(new URLSearchParams(values));
      button.classList.add("htmx-request");
      button.setAttribute("aria-busy", "true");
      try {
        const response = await this.requestWithSession(url.href, {
          method: "POST",
          body,
          credentials: "omit",
        });
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
        button.after(errorBox(this.text.offline, "span", "sc-field-error"));
      } finally {
        button.classList.remove("htmx-request");
        button.removeAttribute("aria-busy");
      }
    }

    /** Only the widget's own answers are swapped in: a proxy's error page (nginx 502 HTML, a
     *  plain-text 500, an empty 504) becomes our message, in the customer's language, with a
     *  button that repeats the request into the same region. */
    ownAnswer(response, ctx) {
      if (response.status === 204 || response.headers.get("X-Selfcare-Answer")) return response;
      const target = this.swappedInto(ctx);
      const box = errorBox(this.text.unavailable, "div", "sc-fail sc-error-box");
      if (target && target.id) {
        const retry = document.createElement("button");
        retry.type = "button";
        retry.className = "sc-button";
        retry.textContent = this.text.retry;
        retry.setAttribute("hx-post", new URL(ctx.request.action).pathname);
        retry.setAttribute("hx-target", `#${target.id}`);
        const values = {};
        for (const [name, value] of new URLSearchParams(ctx.request.body)) {
          if (name !== FIELDS.session && name !== FIELDS.partner) values[name] = value;
        }
        retry.setAttribute("hx-vals", JSON.stringify(values));
        box.append(" ", retry);
      }
      return new Response(box.outerHTML, { status: 503, headers: { "Content-Type": "text/html" } });
    }

    /** fetch() for every widget request (htmx's and downloads): follows the session headers and
     *  the host-page events of the response; on 401 re-runs SSO once and retries. */
    async requestWithSession(input, init) {
      let response = await fetch(input, init);
      if (response.status === 401 && this.token) {
        this.token = null;
        this.reSignOn = this.reSignOn || this.exchange().finally(() => (this.reSignOn = null));
        if (await this.reSignOn) {
          const body = this.withSession(new URLSearchParams(init.body));
          response = await fetch(input, { ...init, body });
        }
        if (response.status === 401) {
          this.token = null;
          this.ready = false;
          this.emit("selfcare:session-expired");
          // Say why the form appears, and come back to the section the customer asked for.
          this.load("/auth/signin", { expired: "1", section: this.lastSection || "" });
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
      const pay = response.headers.get("X-Selfcare-Pay");
      if (pay) {
        try {
          this.emit("selfcare:pay", JSON.parse(pay));
        } catch (error) {
          // not JSON: not ours to announce
        }
      }
      return response;
    }
  }

  const started = new WeakSet();

  function showFailure(host, message) {
    (host.shadowRoot || host).replaceChildren(errorBox(message));
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
