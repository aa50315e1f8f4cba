/*!
 * Self-care widget loader.
 *
 * Partners embed the widget with two lines (docs/embedding.md):
 *   <selfcare-widget partner="demo-mobil" token-url="/selfcare-token"></selfcare-widget>
 *   <script src="https://WIDGET/embed.js" async></script>
 * or, the older form, <div data-selfcare-widget data-partner=… data-token-url=…></div>.
 *
 * Lifecycle: the custom element mounts in connectedCallback and unmounts in disconnectedCallback;
 * divs are found at start and, through a MutationObserver, whenever a single-page application
 * adds or removes one. A mount attaches (or reuses) a shadow root, adopts the base CSS and the
 * partner theme, shows a skeleton and lets a private copy of htmx swap fragments from the widget
 * into that root only.
 *
 * One session per page and partner, not per mount: the loader signs on once (SSO token from
 * token-url or token, exchanged at /sso/exchange) and every widget and remount of the partner
 * shares that session, so a remount costs one request (the section). A single-use token is never
 * sent twice (React StrictMode mounts twice). Sign-out in any widget, or signOut() from the host,
 * signs out all of them, and nothing signs on again by itself until the host says so (refresh(),
 * or a new token). The session is released when the page goes away (sendBeacon) or on destroy().
 *
 * Security and performance rules kept here:
 * - the session token lives in this closure only (no cookie, no storage, never in a URL) and is
 *   sent only to the widget's own origin, in the form body of POST requests;
 * - requests carry no custom headers, so they are "simple" CORS requests: one round trip per
 *   interaction, no preflight;
 * - the host page's own htmx (window.htmx, document processing, history) is left untouched;
 * - the DOM is built without innerHTML; htmx parses the widget's own answers through the Trusted
 *   Types policy "selfcare-widget" where the page enforces Trusted Types.
 *
 * Host page events on the widget element (they bubble): selfcare:ready, selfcare:navigate,
 * selfcare:signed-out, selfcare:session-expired, selfcare:renewed, selfcare:sign-on-failed (also
 * as selfcare:signon-failed), selfcare:action (detail.action = the EDR action name),
 * selfcare:pay (a card payment for the portal's own gateway; docs/payments.md).
 * Element API: signOut(), refresh() (= reload()), show(section), destroy().
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
    document.currentScript || document.querySelector('script[src*="/embed.js"], script[src*="/embed/v"]');
  const ORIGIN = new URL(script ? script.src : location.href, location.href).origin;
  const own = (path) => new URL(path, ORIGIN + "/").href;

  const TAG = "selfcare-widget";
  /** The div form; the custom element has its own callbacks. */
  const DIV_SELECTOR = `[data-selfcare-widget]:not(${TAG})`;
  /** How often a mounted, visible widget asks whether its session still lives (ms). */
  const CHECK_EVERY = 60000;

  /** Form fields of every widget request: the session token and the partner id. */
  const FIELDS = Object.freeze({ session: "_st", partner: "_partner" });

  // The loader's own messages: shown when no widget answer can be (before or instead of
  // signing on). Everything else the customer reads comes from the widget, translated there.
  const TEXT = {
    cs: {
      loading: "Načítání samoobsluhy…",
      failed: "Samoobsluhu se nepodařilo načíst. Zkuste to prosím později.",
      offline: "Spojení se nezdařilo. Zkontrolujte připojení a zkuste to znovu.",
      unavailable: "Tato část je dočasně nedostupná. Zkuste to prosím za chvíli znovu.",
      retry: "Zkusit znovu",
      origin: "Samoobsluhu nelze na této stránce zobrazit: adresa stránky není mezi povolenými adresami partnera.",
      limited: "Příliš mnoho pokusů o přihlášení. Zkuste to prosím za chvíli znovu.",
      token: "Přihlášení do samoobsluhy se nezdařilo. Načtěte prosím stránku znovu.",
    },
    en: {
      loading: "Loading self-care…",
      failed: "Self-care could not be loaded. Please try again later.",
      offline: "The connection failed. Check your connection and try again.",
      unavailable: "This part is temporarily unavailable. Please try again in a moment.",
      retry: "Try again",
      origin: "Self-care cannot be shown on this page: its address is not among the partner's allowed addresses.",
      limited: "Too many sign-on attempts. Please try again in a moment.",
      token: "Signing on to self-care failed. Please reload the page.",
    },
  };

  // Shown before any stylesheet arrives; adopted sheets are not subject to style-src CSP. Sizes
  // in px/em: rem would follow the host page's html font-size.
  const SKELETON_CSS =
    ":host{display:block;min-height:192px}" +
    // Until widget.css arrives (its #sc-app rule wins over this one, of no specificity).
    ":where(#sc-app){all:initial;display:block;font:16px/1.45 system-ui,sans-serif;color:#1d2330}" +
    ".sc-boot{display:grid;gap:.6em;padding:1em}" +
    ".sc-boot i{display:block;height:1.1em;border-radius:4px;background:#e4e7ec}" +
    ".sc-boot i:nth-child(2){width:80%}.sc-boot i:nth-child(3){width:60%}" +
    ".sc-fail{padding:1em;border-radius:8px;background:#fde8e8;color:#a51d1d}";

  let htmxReady = null;

  /** The Trusted Types policy htmx parses the widget's answers with (null without Trusted
   *  Types, or where the page's trusted-types directive does not list "selfcare-widget"). The
   *  answers it passes are only ever the widget's own (see onConfigRequest and ownAnswer). */
  const trustedHtml = (() => {
    if (!window.trustedTypes || !window.trustedTypes.createPolicy) return null;
    try {
      return window.trustedTypes.createPolicy("selfcare-widget", { createHTML: (html) => html });
    } catch (error) {
      console.warn("selfcare-widget: the page's trusted-types directive must list 'selfcare-widget'");
      return null;
    }
  })();

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
        if (trustedHtml) {
          htmx.registerExtension("selfcare-trusted-types", { init: (api) => api.initSecurity(trustedHtml) });
        }
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

  /** An option of a widget element: `name` (custom element) or `data-name` (either form). */
  function option(host, name) {
    const value = host.localName === TAG ? host.getAttribute(name) : null;
    return value !== null ? value : host.getAttribute("data-" + name);
  }

  /** The SSO token from a token URL on the portal's own origin: JSON {token} or plain text. */
  async function fetchSsoToken(url) {
    if (new URL(url, location.href).origin !== location.origin) {
      console.error(`selfcare-widget: token-url must be on this page's origin (${location.origin})`);
      return { reason: "token_unavailable" };
    }
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json, text/plain" },
      cache: "no-store",
    });
    if (!response.ok) return { reason: "token_unavailable", status: response.status };
    const token = (response.headers.get("Content-Type") || "").includes("json")
      ? (await response.json()).token
      : (await response.text()).trim();
    return token ? { token } : { reason: "token_unavailable", status: response.status };
  }

  /** Why an exchange was refused, from its answer (reasons are listed in docs/embedding.md). */
  function refusal(status, body) {
    if (status === 429) return "rate_limited";
    if (status === 403 && body.error === "origin_not_allowed") return "origin_not_allowed";
    if (status === 503) return "platform_unavailable";
    if (status === 404) return "unknown_partner";
    if (status === 401) return body.reason === "replayed" || body.reason === "expired" ? `token_${body.reason}` : "token_invalid";
    return "failed";
  }

  /** POST a few fields to the widget, without waiting on the page (fire and forget). */
  function post(path, fields, beacon = false) {
    const body = new URLSearchParams(fields);
    if (beacon && navigator.sendBeacon && navigator.sendBeacon(own(path), body)) return Promise.resolve(null);
    return fetch(own(path), { method: "POST", body, credentials: "omit", keepalive: true }).catch(() => null);
  }

  /**
   * The page's widget session with one partner, shared by every widget of that partner on the
   * page and kept across their remounts. It lives as long as the page (or destroy()).
   */
  class Account {
    constructor(partner) {
      this.partner = partner;
      this.token = null; // the widget session token: memory only, sent in POST bodies
      this.sso = false; // the session (or the widgets) came from the portal's SSO
      this.spent = new Set(); // single-use SSO tokens already sent: never sent twice
      this.signingOn = null; // the sign-on in progress, shared by every widget waiting for it
      this.signedOut = false; // signed out: no automatic sign-on until the host asks again
      this.widgets = new Set(); // the mounted widgets of this partner
      this.timer = null; // the session check while a widget is mounted
    }

    /** Sign on with a token ({token}) or a token URL ({url}); resolves {ok} or {reason}. */
    signOn(source) {
      if (source.token && this.spent.has(source.token)) {
        // The same token again (a StrictMode double mount, a remount): the session it made.
        if (this.signingOn) return this.signingOn;
        if (this.token) return Promise.resolve({ ok: true });
        return Promise.resolve(this.signedOut ? { signedOut: true } : { reason: "token_replayed" });
      }
      if (source.token) this.spent.add(source.token);
      else if (this.signingOn) return this.signingOn;
      const attempt = this.exchange(source).finally(() => {
        if (this.signingOn === attempt) this.signingOn = null;
      });
      this.signingOn = attempt;
      return attempt;
    }

    async exchange(source) {
      try {
        let token = source.token;
        if (!token) {
          const answer = await fetchSsoToken(source.url);
          if (!answer.token) return answer;
          token = answer.token;
        }
        // The widget that started the sign-on gets its first content in the same answer: the
        // shell with its section, the session in a header (one round trip instead of two).
        const fields = { token, partner: this.partner };
        if (source.widget) Object.assign(fields, { shell: "1", section: source.widget.section });
        let response;
        try {
          response = await fetch(own("/sso/exchange"), {
            method: "POST",
            body: new URLSearchParams(fields),
            credentials: "omit",
          });
        } catch (error) {
          return { reason: (await this.originRefused()) ? "origin_not_allowed" : "network" };
        }
        const session = response.ok && response.headers.get("X-Selfcare-Session");
        const body = session ? { session } : await response.json().catch(() => ({}));
        if (!response.ok || !body.session) {
          const reason = refusal(response.status, body);
          if (reason === "origin_not_allowed") {
            console.error(
              `selfcare-widget: this page's origin ${body.origin || location.origin} is not among the ` +
                `origins of partner "${this.partner}"; the partner must list it (partners file, origins).`,
            );
          }
          return { reason, status: response.status };
        }
        const previous = this.token;
        this.token = body.session;
        this.sso = true;
        this.signedOut = false;
        // Another customer's token (the portal switched customers): the old session ends now.
        if (previous && previous !== this.token) this.release(previous);
        const shell = session ? { shell: { widget: source.widget, response } } : {};
        return { ok: true, replaced: Boolean(previous), ...shell };
      } catch (error) {
        return { reason: "network" };
      }
    }

    /** Whether the widget answered but not to this page: it grants CORS to its partners'
     *  origins only (even on errors), so an exchange that failed like a network error while an
     *  opaque request (no token: nothing to burn) gets an answer means the origin is not listed. */
    async originRefused() {
      try {
        await fetch(own("/sso/exchange"), {
          method: "POST",
          mode: "no-cors",
          body: new URLSearchParams({ partner: this.partner }),
          credentials: "omit",
        });
      } catch (error) {
        return false; // no answer at all: the network
      }
      console.error(
        `selfcare-widget: this page's origin ${location.origin} is not among the origins of partner ` +
          `"${this.partner}"; the partner must list it (partners file, origins).`,
      );
      return true;
    }

    /** A silent new sign-on after the session ended, if a widget has a token URL to ask. */
    renew() {
      if (this.signedOut) return Promise.resolve({ signedOut: true });
      if (this.signingOn) return this.signingOn;
      const url = [...this.widgets].map((w) => option(w.host, "token-url")).find(Boolean);
      return url ? this.signOn({ url }) : Promise.resolve({ reason: "session_ended" });
    }

    /** Revoke a session the page no longer needs (no EDR: nobody signed out). */
    release(token, beacon = false) {
      post("/auth/release", { [FIELDS.session]: token, [FIELDS.partner]: this.partner }, beacon);
    }

    /** Sign out of every widget of the partner on the page; `by` is "customer" or "host". */
    async signOut(by, from = null) {
      const token = this.token;
      this.token = null;
      this.signedOut = true;
      if (token && by === "host") {
        await post("/auth/logout", { [FIELDS.session]: token, [FIELDS.partner]: this.partner });
      }
      for (const widget of this.widgets) widget.signedOut(by, widget === from);
    }

    /** The session ended on the server and could not be renewed. */
    ended() {
      this.token = null;
      for (const widget of this.widgets) widget.sessionEnded();
    }

    /** The session was replaced (renewed, or another customer's token): every widget reloads. */
    replaced(except = null) {
      for (const widget of this.widgets) if (widget !== except) widget.reloadSection();
    }

    /** Ask the widget whether the session still lives; notice a revocation without a click. */
    async check() {
      const token = this.token;
      if (!token || this.signingOn) return;
      const answer = await post("/auth/check", { [FIELDS.session]: token, [FIELDS.partner]: this.partner });
      if (!answer || answer.status !== 401 || this.token !== token) return;
      this.token = null;
      const again = await this.renew();
      if (again.ok) {
        this.replaced();
        for (const widget of this.widgets) widget.emit("selfcare:renewed");
      } else if (!again.signedOut) this.ended();
    }

    attach(widget) {
      this.widgets.add(widget);
      if (!this.timer) {
        this.timer = setInterval(() => {
          if (document.visibilityState === "visible") this.check();
        }, CHECK_EVERY);
      }
    }

    detach(widget) {
      this.widgets.delete(widget);
      if (!this.widgets.size && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    }
  }

  const accounts = new Map();
  function accountOf(partner) {
    if (!accounts.has(partner)) accounts.set(partner, new Account(partner));
    return accounts.get(partner);
  }

  class Widget {
    constructor(host) {
      this.host = host;
      this.partner = option(host, "partner") || "";
      this.account = accountOf(this.partner);
      this.lang = (option(host, "locale") || document.documentElement.lang || "cs").slice(0, 2);
      this.text = TEXT[this.lang] || TEXT.cs;
      this.section = this.historySection() || option(host, "section") || "overview";
      this.current = null; // the section on screen
      this.root = null; // our shadow root (mount)
      this.app = null; // #sc-app inside it, the region whole-widget loads swap into (mount)
      this.htmx = null; // our private htmx (mount)
      this.mounted = false;
      this.generation = 0; // bumped by every mount and unmount: late answers of an old mount are dropped
      this.sso = false; // started by the portal's SSO: no in-widget sign-in as someone else
      this.ready = false; // selfcare:ready emitted for the current session
      this.inFlight = new Map(); // region id -> htmx ctx of its newest request
      this.focusInside = false; // the customer was working inside the widget when a request began
      this.lastSection = null; // the section last asked for (reopened after signing in again)
      this.payReturn = null; // a card payment's return handed over in the URL fragment (mount)
      this.firstShell = null; // the sign-on's answer: the shell, served to the first /w/shell load
      this.quiet = false; // the next section change comes from the host or history: no pushState
    }

    emit(name, detail = {}) {
      this.host.dispatchEvent(new CustomEvent(name, { detail, bubbles: true }));
    }

    /** The token this widget sends (the page's session with its partner). */
    get token() {
      return this.account.token;
    }

    /** With the history option (data-history / history="param"): the URL parameter it uses. */
    historyParam() {
      const value = option(this.host, "history");
      return value === null ? null : value || "section";
    }

    historySection() {
      const param = this.historyParam();
      return param ? new URL(location.href).searchParams.get(param) : null;
    }

    mount() {
      this.mounted = true;
      const generation = ++this.generation;
      if (!this.root) this.build();
      this.ready = false;
      this.current = null;
      this.app.setAttribute("aria-busy", "true");
      this.app.replaceChildren(this.skeleton("sc-boot", "i"));
      this.account.attach(this);
      this.takePayReturn();
      this.boot(generation).catch(() => {
        if (generation === this.generation) this.showMessage(this.text.failed);
      });
    }

    unmount() {
      this.mounted = false;
      this.generation++;
      this.account.detach(this);
      // Requests of this mount are cancelled; the page's session is kept for the next mount.
      for (const ctx of this.inFlight.values()) ctx.request.abort();
      this.inFlight.clear();
    }

    /** The shadow root, once per element: stylesheets, the app region and our listeners. */
    build() {
      this.root = this.host.shadowRoot || this.host.attachShadow({ mode: "open" });
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(SKELETON_CSS);
      this.root.adoptedStyleSheets = [sheet];
      const theme = MANIFEST.theme.replace("__PARTNER__", encodeURIComponent(this.partner || ""));
      const links = [MANIFEST.css, theme].map((href) => {
        const link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = own(href);
        return link;
      });
      this.app = document.createElement("div");
      this.app.id = "sc-app";
      this.app.setAttribute("aria-live", "polite");
      this.root.replaceChildren(...links, this.app);
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
    }

    async boot(generation) {
      const [htmx, signedOn] = await Promise.all([loadHtmx(), this.signOn()]);
      if (generation !== this.generation) return; // unmounted (or remounted) meanwhile
      this.htmx = htmx;
      if (signedOn.ok && this.payReturn) {
        // Back from the partner's payment gateway: the widget verifies and records the payment.
        this.load("/w/payments/return", { returned: this.payReturn });
        this.payReturn = null;
      } else if (signedOn.ok) {
        if (signedOn.replaced) this.account.replaced(this);
        const shell = signedOn.shell;
        if (shell && shell.widget === this && !shell.response.bodyUsed) this.firstShell = shell.response;
        this.load("/w/shell", { section: this.section });
      } else if (signedOn.signedOut) this.load("/auth/signin", { signed_out: "1", sso: this.sso ? "1" : "" });
      else if (signedOn.reason) this.signOnFailed(signedOn);
      else this.load("/auth/signin");
    }

    /** The page's session, signing on if there is none; resolves {ok}, {signedOut}, {reason}
     *  or {} (no SSO configured: the widget's own sign-in form). */
    signOn() {
      const account = this.account;
      const token = option(this.host, "token");
      const url = option(this.host, "token-url");
      this.sso = Boolean(token || url);
      if (token) {
        // Read once and taken out of the DOM: it is single use, and a credential meanwhile.
        this.host.removeAttribute(this.host.hasAttribute("token") ? "token" : "data-token");
        return account.signOn({ token, widget: this });
      }
      if (account.signingOn) return account.signingOn;
      if (account.token) return Promise.resolve({ ok: true });
      if (account.signedOut && this.sso) return Promise.resolve({ signedOut: true });
      if (url) return account.signOn({ url, widget: this });
      return Promise.resolve({});
    }

    /** The SSO sign-on failed: say so (no in-widget sign-in as someone else) and tell the host. */
    signOnFailed({ reason, status }) {
      const detail = { reason, partner: this.partner, ...(status ? { status } : {}) };
      this.emit("selfcare:sign-on-failed", detail);
      this.emit("selfcare:signon-failed", detail);
      const message = {
        origin_not_allowed: this.text.origin,
        rate_limited: this.text.limited,
        platform_unavailable: this.text.unavailable,
        network: this.text.offline,
        failed: this.text.failed,
      }[reason];
      const retry = ["rate_limited", "platform_unavailable", "network", "failed"].includes(reason);
      this.showMessage(message || this.text.token, retry);
    }

    /** The loader's own message in place of the widget, with "Try again" when that can help. */
    showMessage(message, retry = false) {
      const box = errorBox(message, "div");
      if (retry) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "sc-button";
        button.textContent = this.text.retry;
        button.addEventListener("click", () => this.refresh());
        box.append(" ", button);
      }
      this.app.removeAttribute("aria-busy");
      this.app.replaceChildren(box);
    }

    /** Signed out (by the customer in this or another widget, or by the host). */
    signedOut(by, here) {
      this.ready = false;
      this.current = null;
      // The widget that asked shows the widget's answer; the others ask for the same screen.
      if (!here && this.mounted && this.htmx) {
        this.load("/auth/signin", { signed_out: "1", sso: this.sso ? "1" : "" });
      }
      this.emit("selfcare:signed-out", { by, partner: this.partner });
    }

    /** The session ended and no new one could be had: say so, and where the customer was. */
    sessionEnded() {
      this.ready = false;
      this.current = null;
      this.emit("selfcare:session-expired", { partner: this.partner });
      if (this.mounted && this.htmx) {
        this.load("/auth/signin", { expired: "1", sso: this.sso ? "1" : "", section: this.lastSection || "" });
      }
    }

    /** The session changed under the widget: show the same section with the new one. */
    reloadSection() {
      this.ready = false;
      if (this.mounted && this.htmx) this.load("/w/shell", { section: this.current || this.section });
    }

    // --- the element's API ------------------------------------------------------------------

    /** Sign out of every widget of the partner on this page (e.g. the portal's own sign-out). */
    signOut() {
      return this.account.signOut("host");
    }

    /** Sign on again (the portal's customer may have changed) and reload; ends a signed-out state. */
    async refresh() {
      const account = this.account;
      account.signedOut = false;
      const token = option(this.host, "token");
      const url = option(this.host, "token-url");
      let result = { ok: Boolean(account.token) };
      if (token || url) {
        if (token) this.host.removeAttribute(this.host.hasAttribute("token") ? "token" : "data-token");
        result = await account.signOn(token ? { token } : { url });
      }
      if (!this.mounted) return;
      if (!this.htmx) this.htmx = await loadHtmx();
      if (result.ok) {
        this.account.replaced(this);
        this.reloadSection();
      } else if (result.reason) this.signOnFailed(result);
      else this.load("/auth/signin");
    }

    /** Open a section; an unknown one opens the overview (with a warning in the console). */
    show(section) {
      section = String(section || "overview");
      const known = this.root && [...this.root.querySelectorAll("[data-sc-nav]")].map((n) => n.dataset.scNav);
      if (known && known.length && !known.includes(section)) {
        console.warn(`selfcare-widget: unknown section "${section}"; showing the overview (${known.join(", ")})`);
        section = "overview";
      }
      this.section = section;
      if (!this.mounted || !this.htmx || !this.account.token || section === this.current) return;
      const nav = this.root.querySelector(`[data-sc-nav="${CSS.escape(section)}"]`);
      if (!nav) return; // still loading: the shell opens this.section
      this.quiet = true;
      nav.click();
    }

    /** Remove the widget for good; the session is released when no other widget uses it. */
    destroy() {
      this.unmount();
      if (this.root) this.root.replaceChildren();
      this.root = null;
      this.htmx = null;
      widgets.delete(this.host);
      destroyed.add(this.host);
      this.host.remove();
      const account = this.account;
      if (!account.widgets.size && account.token) {
        account.release(account.token);
        account.token = null;
      }
    }

    // --- loading and htmx hooks -------------------------------------------------------------

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

    /** Add the session fields to a request body (FormData or URLSearchParams); returns it. */
    withSession(body) {
      if (this.token) body.set(FIELDS.session, this.token);
      else body.delete(FIELDS.session);
      body.set(FIELDS.partner, this.partner);
      return body;
    }

    onConfigRequest(event) {
      const ctx = event.detail.ctx;
      const url = new URL(ctx.request.action, ORIGIN + "/");
      // Fragments only ever talk to the widget, and only with POST (the token rides in the body).
      if (url.origin !== ORIGIN || ctx.request.method !== "POST" || !this.mounted) {
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
      const generation = this.generation;
      ctx.fetch = async (input, init) =>
        this.ownAnswer(await this.requestWithSession(input, init, generation), ctx);
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
      for (const [region, newest] of this.inFlight) if (newest === ctx) this.inFlight.delete(region);
      const section = target && target.querySelector("[data-sc-section]");
      if (section && this.root.querySelector(".sc-shell")) this.sectionShown(section.dataset.scSection);
      if (!this.ready && this.token && this.root.querySelector(".sc-shell")) {
        this.ready = true;
        this.emit("selfcare:ready", { partner: this.partner, section: this.current });
      }
      // Move focus only when the customer is working inside the widget; never steal it from
      // the host page on first load.
      const focusable = target && target.querySelector("[data-sc-focus]");
      if (focusable && this.focusInside) focusable.focus();
    }

    /** A section is on screen: mark it, tell the host, and (opt-in) record it in history. */
    sectionShown(id) {
      this.markSection(id);
      const known = [...this.root.querySelectorAll("[data-sc-nav]")].map((n) => n.dataset.scNav);
      if (!known.includes(id)) return; // a page inside a section (e.g. a payment), not a section
      const previous = this.current;
      const quiet = this.quiet;
      this.quiet = false;
      if (previous === null && this.section !== id && known.length) {
        console.warn(`selfcare-widget: unknown section "${this.section}"; showing the overview (${known.join(", ")})`);
      }
      this.current = id;
      this.section = id;
      if (previous === null || previous === id) return;
      this.emit("selfcare:navigate", { section: id, previous, partner: this.partner });
      const param = this.historyParam();
      if (param && !quiet) {
        const url = new URL(location.href);
        url.searchParams.set(param, id);
        history.pushState({ ...(history.state || {}), selfcareSection: id }, "", url.href);
      }
    }

    /** Back/Forward with the history option: the section named in the URL, without a new entry. */
    onPopState() {
      const section = this.historySection();
      if (section && section !== this.current) this.show(section);
      else if (!section && this.current !== (option(this.host, "section") || "overview")) {
        this.show(option(this.host, "section") || "overview");
      }
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
     *  the host-page events of the response; on 401 re-runs SSO once (shared by every widget of
     *  the page) and retries. */
    async requestWithSession(input, init, generation = this.generation) {
      if (this.firstShell && String(input).endsWith("/w/shell")) {
        // The sign-on's answer already is this shell (/sso/exchange with shell=1).
        const answer = this.firstShell;
        this.firstShell = null;
        return answer;
      }
      const sent = new URLSearchParams(init.body).get(FIELDS.session);
      let response = await fetch(input, init);
      if (generation !== this.generation) return new Response(null, { status: 204 }); // unmounted
      const account = this.account;
      if (response.status === 401 && sent) {
        if (account.token === sent) account.token = null;
        const again = account.token ? { ok: true } : await account.renew();
        if (again.ok) {
          const body = this.withSession(new URLSearchParams(init.body));
          response = await fetch(input, { ...init, body });
          if (response.ok) {
            this.emit("selfcare:renewed", { partner: this.partner });
            account.replaced(this);
          }
        }
        if (response.status === 401) {
          account.token = null;
          if (!again.signedOut) account.ended();
          return new Response(null, { status: 204 });
        }
      }
      const session = response.headers.get("X-Selfcare-Session");
      if (session) {
        // Signed in inside the widget (no SSO): the page's session from now on.
        account.token = session;
        account.signedOut = false;
      }
      if (response.headers.get("X-Selfcare-Signed-Out")) account.signOut("customer", this);
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

  // --- mounting: the custom element, and divs found by a MutationObserver ---------------------

  const widgets = new WeakMap(); // element -> its Widget (kept across remounts of the element)
  const destroyed = new WeakSet(); // destroy()ed elements never start again

  function widgetOf(host) {
    let widget = widgets.get(host);
    if (!widget && !destroyed.has(host)) {
      widget = new Widget(host);
      widgets.set(host, widget);
    }
    return widget;
  }

  function mount(host) {
    const widget = widgetOf(host);
    if (widget && !widget.mounted) widget.mount();
  }

  function unmount(host) {
    const widget = widgets.get(host);
    if (widget && widget.mounted && !host.isConnected) widget.unmount();
  }

  /** A live option changed: the section, or a new token (another customer, or signing on again). */
  function optionChanged(host, name, value) {
    const widget = widgets.get(host);
    if (!widget || !widget.mounted || value === null) return;
    if (name.endsWith("section")) widget.show(value);
    else if (name.endsWith("token")) widget.refresh();
  }

  const API = {
    signOut() {
      return widgetOf(this)?.signOut();
    },
    refresh() {
      return widgetOf(this)?.refresh();
    },
    reload() {
      return widgetOf(this)?.refresh();
    },
    show(section) {
      widgetOf(this)?.show(section);
    },
    destroy() {
      widgetOf(this)?.destroy();
    },
  };

  class SelfcareWidgetElement extends HTMLElement {
    static get observedAttributes() {
      return ["section", "data-section", "token", "data-token"];
    }

    connectedCallback() {
      mount(this);
    }

    disconnectedCallback() {
      unmount(this);
    }

    attributeChangedCallback(name, old, value) {
      if (old !== value) optionChanged(this, name, value);
    }
  }
  Object.assign(SelfcareWidgetElement.prototype, API);

  /** Mount the divs under `node` (the div form has the API as properties of the element). */
  function mountDivs(node) {
    const found = node.matches && node.matches(DIV_SELECTOR) ? [node] : [];
    if (node.querySelectorAll) found.push(...node.querySelectorAll(DIV_SELECTOR));
    for (const host of found) {
      if (!host.isConnected || destroyed.has(host)) continue;
      for (const [name, method] of Object.entries(API)) {
        if (!(name in host)) Object.defineProperty(host, name, { value: method, configurable: true });
      }
      mount(host);
    }
  }

  function unmountDivs(node) {
    if (node.matches && node.matches(DIV_SELECTOR)) unmount(node);
    if (node.querySelectorAll) for (const host of node.querySelectorAll(DIV_SELECTOR)) unmount(host);
  }

  function scan() {
    mountDivs(document);
  }

  const observer = new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "attributes") {
        const host = record.target;
        if (record.attributeName === "data-selfcare-widget") mountDivs(host);
        else if (host.localName !== TAG) optionChanged(host, record.attributeName, host.getAttribute(record.attributeName));
        continue;
      }
      for (const node of record.removedNodes) unmountDivs(node);
      for (const node of record.addedNodes) mountDivs(node);
    }
  });

  // Page-wide listeners, once for all widgets (remounts add none).
  window.addEventListener("popstate", () => {
    for (const account of accounts.values()) {
      for (const widget of account.widgets) if (widget.historyParam()) widget.onPopState();
    }
  });
  const checkAll = () => {
    if (document.visibilityState === "visible") for (const account of accounts.values()) account.check();
  };
  window.addEventListener("focus", checkAll);
  document.addEventListener("visibilitychange", checkAll);
  // The page goes away: its sessions are of no use to anyone any more.
  window.addEventListener("pagehide", (event) => {
    if (event.persisted) return; // kept in the back/forward cache: the session may serve it again
    for (const account of accounts.values()) {
      if (account.token) account.release(account.token, true);
    }
  });

  window[LOADER] = { scan };
  if (!customElements.get(TAG)) customElements.define(TAG, SelfcareWidgetElement);
  const start = () => {
    observer.observe(document.documentElement, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["data-selfcare-widget", "data-section", "data-token"],
    });
    scan();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
