// A partner's React 19 single-page portal hosting the widget, as docs/embedding.md shows it:
// <selfcare-widget> rendered on the account route inside <React.StrictMode>, its events heard
// through a ref, its signOut() called by the host. Built with esbuild from the npm registry
// (`npm run build` -> dist/app.js) and driven by tests/browser/test_react_spa.py.
//
// The bundle is React's development build on purpose: only there does StrictMode mount every
// effect twice (effect, cleanup, effect), which is what the test must survive.
import React, { useCallback, useEffect, useRef, useState } from "react";
import { createRoot } from "react-dom/client";

const BASE = "/react";
const root = document.getElementById("root");
const partner = root.dataset.partner;

// What the host saw, for the test: widget events and how often the listening effect ran.
window.__react = { events: [], effects: 0, cleanups: 0 };

function routeOf(pathname) {
  return pathname === BASE + "/account" ? "account" : "home";
}

function Account({ widgetRef, onNavigate }) {
  useEffect(() => {
    const el = widgetRef.current;
    const record = (e) => window.__react.events.push([e.type, e.detail || {}]);
    const navigate = (e) => {
      record(e);
      onNavigate(e.detail.section);
    };
    window.__react.effects += 1;
    el.addEventListener("selfcare:navigate", navigate);
    el.addEventListener("selfcare:signed-out", record);
    return () => {
      window.__react.cleanups += 1;
      el.removeEventListener("selfcare:navigate", navigate);
      el.removeEventListener("selfcare:signed-out", record);
    };
  }, [widgetRef, onNavigate]);
  // React 19 sets these as attributes of the custom element.
  return <selfcare-widget ref={widgetRef} id="selfcare-react" partner={partner} token-url="/selfcare-token" />;
}

function App() {
  const [route, setRoute] = useState(() => routeOf(location.pathname));
  const [section, setSection] = useState(null);
  const widgetRef = useRef(null);

  useEffect(() => {
    const popstate = () => setRoute(routeOf(location.pathname));
    window.addEventListener("popstate", popstate);
    return () => window.removeEventListener("popstate", popstate);
  }, []);

  const go = (name) => {
    history.pushState(null, "", BASE + (name === "account" ? "/account" : "/"));
    setRoute(name);
  };
  const onNavigate = useCallback((name) => setSection(name), []);
  const signOut = () => widgetRef.current?.signOut();

  return (
    <>
      <nav>
        <button type="button" id="to-home" onClick={() => go("home")}>
          Domů
        </button>
        <button type="button" id="to-account" onClick={() => go("account")}>
          Můj účet
        </button>
        <button type="button" id="sign-out" onClick={signOut}>
          Odhlásit z portálu
        </button>
      </nav>
      <p id="section">{section || ""}</p>
      <main>
        {route === "account" ? (
          <Account widgetRef={widgetRef} onNavigate={onNavigate} />
        ) : (
          <p id="home">Vítejte na portálu.</p>
        )}
      </main>
    </>
  );
}

createRoot(root).render(
  <React.StrictMode>
    <App />
  </React.StrictMode>,
);
