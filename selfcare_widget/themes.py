"""Checking partner themes: safe to load into the widget, and readable (WCAG 2.1 AA contrast).

A theme is a folder ``themes/<name>/`` with ``theme.css`` (only ``--sc-*`` custom properties on
``:host``), an optional ``extra.css`` (further rules scoped to the widget) and the files those
reference (logo, fonts). Both stylesheets are loaded into the widget's shadow root on the
partner's page, so a theme must be self-contained: no ``@import``, no ``url()`` to another
origin, nothing that reads or styles the host page (``:host-context``, ``::slotted``) and
nothing that lifts the widget's paint containment. ``docs/theming.md`` lists the rules.

``check_theme`` returns every problem with its file and line; ``verify_partner_themes`` is the
start-up gate used by ``create_app`` (missing or unsafe theme -> ``ConfigError``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import tinycss2
import tinycss2.color3
from tinycss2 import ast

from .config import PACKAGE_DIR, ConfigError

log = logging.getLogger(__name__)

THEME_FILE = "theme.css"
EXTRA_FILE = "extra.css"
BASE_CSS = PACKAGE_DIR / "static" / "css" / "00-base.css"
PROPERTY_PREFIX = "--sc-"
#: File types a theme may reference (the same set ``assets.theme_file`` serves).
REFERENCE_SUFFIXES = (".css", ".svg", ".png", ".woff2")
MIN_CONTRAST = 4.5  # WCAG 2.1 AA, normal-size text (1.4.3)

#: (foreground, background, what the pair is used for) — every pair must reach MIN_CONTRAST.
CONTRAST_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("--sc-text", "--sc-surface", "body text"),
    ("--sc-muted", "--sc-surface", "secondary text"),
    ("--sc-muted", "--sc-card", "secondary text on cards"),
    ("--sc-text", "--sc-card", "text on cards"),
    ("--sc-on-primary", "--sc-primary", "button and active navigation text"),
    ("--sc-primary", "--sc-surface", "links and quiet buttons"),
    ("--sc-danger", "--sc-danger-bg", "error messages"),
    ("--sc-ok", "--sc-ok-bg", "success badges"),
)

#: Problem kinds. ``contrast`` problems make a theme fail the check but are only warned about
#: at start-up (a readable-but-ugly partner must not take the service down); all others refuse.
KIND_MISSING, KIND_PARSE, KIND_SAFETY, KIND_CONTRAST = "missing", "parse", "safety", "contrast"

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_VAR_FALLBACK = re.compile(r"var\(\s*(--sc-[a-z0-9-]+)\s*,\s*([^()]+?|[a-z]+\([^()]*\))\s*\)")
#: Selectors that name the host document: they never match inside a shadow root, so a rule using
#: them shows the author expected to style the partner's page.
_DOCUMENT_SELECTORS = {"html", "body"}
#: extra.css may not redefine these: ``contain`` (and ``all``, which resets it) keeps the widget's
#: painting inside its own box, so no rule can lay an overlay over the partner's page.
_FORBIDDEN_EXTRA_PROPERTIES = {"contain", "all"}
#: At-rules allowed in theme.css (their rules follow the same :host-only constraint).
_THEME_GROUP_RULES = {"media", "supports"}
#: Functions whose string arguments are URLs.
_URL_FUNCTIONS = {"url", "src", "image-set", "-webkit-image-set"}


@dataclass(frozen=True)
class Problem:
    """One reason a theme fails, located in its file (``line`` None when not in a file)."""

    file: str
    line: int | None
    kind: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


# ---------------------------------------------------------------------- safety


def check_theme(folder: Path, defaults: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem of the theme in ``folder`` (empty list: the theme is fine)."""
    folder = Path(folder)
    name = folder.name
    theme_css = folder / THEME_FILE
    if not theme_css.is_file():
        return [Problem(f"{name}/{THEME_FILE}", None, KIND_MISSING, "the theme has no theme.css")]
    problems: list[Problem] = []
    checker = _SheetChecker(folder, f"{name}/{THEME_FILE}", theme_only=True)
    rules = checker.parse(theme_css.read_text(encoding="utf-8"))
    problems += checker.check(rules)
    extra_css = folder / EXTRA_FILE
    if extra_css.is_file():
        extra = _SheetChecker(folder, f"{name}/{EXTRA_FILE}", theme_only=False)
        problems += extra.check(extra.parse(extra_css.read_text(encoding="utf-8")))
    if not any(p.kind == KIND_PARSE for p in problems):
        problems += check_contrast(
            f"{name}/{THEME_FILE}", theme_properties(rules), defaults or base_defaults()
        )
    for svg in sorted(folder.rglob("*.svg")):
        problems += check_svg(svg, f"{name}/{svg.relative_to(folder).as_posix()}")
    return problems


class _SheetChecker:
    """Walks one stylesheet; ``theme_only`` applies the stricter theme.css rules."""

    def __init__(self, folder: Path, label: str, theme_only: bool) -> None:
        self.folder = folder
        self.label = label
        self.theme_only = theme_only
        self.problems: list[Problem] = []

    def parse(self, text: str) -> list:
        return tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)

    def add(self, node, kind: str, message: str) -> None:
        self.problems.append(Problem(self.label, getattr(node, "source_line", None), kind, message))

    def check(self, rules: list) -> list[Problem]:
        for rule in rules:
            self.rule(rule)
        return self.problems

    def rule(self, rule) -> None:
        if rule.type == "error":
            self.add(rule, KIND_PARSE, f"CSS parse error: {rule.message}")
        elif rule.type == "at-rule":
            self.at_rule(rule)
        elif rule.type == "qualified-rule":
            self.selector(rule)
            self.urls(rule.prelude)
            self.declarations(rule)

    def at_rule(self, rule: ast.AtRule) -> None:
        keyword = rule.lower_at_keyword
        if keyword == "import":
            self.add(rule, KIND_SAFETY, "@import is not allowed: a theme must be self-contained")
            return
        if self.theme_only and keyword not in _THEME_GROUP_RULES:
            self.add(rule, KIND_SAFETY, f"@{keyword} is not allowed in theme.css (only @media/@supports)")
            return
        self.urls(rule.prelude)
        if rule.content is None:
            return
        if keyword in ("media", "supports", "layer", "container"):
            for inner in self.parse_rules(rule.content):
                self.rule(inner)
        else:  # @font-face, @keyframes, @page ...: only their url()s matter
            self.urls(rule.content)

    def parse_rules(self, tokens: list) -> list:
        return tinycss2.parse_rule_list(tokens, skip_comments=True, skip_whitespace=True)

    def selector(self, rule: ast.QualifiedRule) -> None:
        for selector in _split_commas(rule.prelude):
            text = tinycss2.serialize(selector).strip()
            if self.theme_only:
                if not _is_host_selector(selector):
                    self.add(
                        rule,
                        KIND_SAFETY,
                        f"selector {text!r} is not allowed in theme.css: a theme only sets "
                        "--sc-* properties on :host (put other rules in extra.css)",
                    )
                continue
            reason = _escaping_selector(selector)
            if reason:
                self.add(rule, KIND_SAFETY, f"selector {text!r} {reason}")

    def declarations(self, rule: ast.QualifiedRule) -> None:
        for item in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            if item.type == "error":
                self.add(item, KIND_PARSE, f"CSS parse error: {item.message}")
            elif item.type == "declaration":
                self.declaration(item)
            elif item.type in ("qualified-rule", "at-rule"):  # CSS nesting
                if self.theme_only:
                    self.add(item, KIND_SAFETY, "nested rules are not allowed in theme.css")
                else:
                    self.rule(item)

    def declaration(self, decl: ast.Declaration) -> None:
        name = decl.name if decl.name.startswith("--") else decl.lower_name
        if self.theme_only and not name.startswith(PROPERTY_PREFIX):
            self.add(
                decl,
                KIND_SAFETY,
                f"declaration {name!r} is not allowed in theme.css: only --sc-* custom properties",
            )
        if not self.theme_only and name in _FORBIDDEN_EXTRA_PROPERTIES:
            self.add(
                decl,
                KIND_SAFETY,
                f"property {name!r} is not allowed in extra.css: it would lift the widget's "
                "paint containment (content could cover the partner's page)",
            )
        self.urls(decl.value)

    def urls(self, tokens: Iterable | None) -> None:
        """Check every referenced URL, and report token-level errors (bad strings, stray ``]``)."""
        for token in _walk(tokens or ()):
            if token.type == "error":
                self.add(token, KIND_PARSE, f"CSS parse error: {token.message}")
        for node, url in _referenced_urls(tokens or ()):
            reason = self.url_problem(url)
            if reason:
                self.add(node, KIND_SAFETY, f"url({url!r}) {reason}")

    def url_problem(self, url: str) -> str | None:
        """Why ``url`` may not be referenced (None: allowed)."""
        url = url.strip()
        if url.lower().startswith("data:") or url.startswith("#"):
            return None
        if _SCHEME.match(url) or url.startswith(("//", "\\\\")):
            return "points to a remote origin: only files inside the theme folder or data: URIs"
        if url.startswith(("/", "\\")):
            return "is an absolute path: use a path relative to the theme folder"
        if self.theme_only:
            # Browsers resolve a relative url() inside a custom property against the stylesheet
            # that *uses* it (Chromium: /widget.css), not theme.css, so it would miss the file.
            return (
                "is relative inside theme.css: custom properties are resolved against the widget's "
                "stylesheet, not the theme folder; use a data: URI here (or a rule in extra.css)"
            )
        path = url.split("?", 1)[0].split("#", 1)[0]
        if ".." in re.split(r"[/\\]", path):
            return "leaves the theme folder"
        if not path.lower().endswith(REFERENCE_SUFFIXES):
            return f"has a file type the widget does not serve (allowed: {', '.join(REFERENCE_SUFFIXES)})"
        if not (self.folder / path).is_file():
            return "refers to a file that is not in the theme folder"
        return None


def _split_commas(tokens: list) -> list[list]:
    """A selector list split at its top-level commas, whitespace trimmed."""
    parts: list[list] = [[]]
    for token in tokens:
        if token.type == "literal" and token.value == ",":
            parts.append([])
        else:
            parts[-1].append(token)
    return [[t for t in _trim(part)] for part in parts]


def _trim(tokens: list) -> list:
    start, end = 0, len(tokens)
    while start < end and tokens[start].type in ("whitespace", "comment"):
        start += 1
    while end > start and tokens[end - 1].type in ("whitespace", "comment"):
        end -= 1
    return tokens[start:end]


def _is_host_selector(tokens: list) -> bool:
    """``:host`` or ``:host(<compound>)`` and nothing else."""
    if len(tokens) != 2 or not (tokens[0].type == "literal" and tokens[0].value == ":"):
        return False
    second = tokens[1]
    return (second.type == "ident" and second.lower_value == "host") or (
        second.type == "function" and second.lower_name == "host"
    )


def _escaping_selector(tokens: list) -> str | None:
    """Why an extra.css selector reaches (or pretends to reach) outside the widget."""
    previous = None
    for token in _walk(tokens, attributes=False):
        after_colon = previous is not None and previous.type == "literal" and previous.value == ":"
        if token.type == "function" and after_colon and token.lower_name == "host-context":
            return "uses :host-context(), which styles the widget by the partner's page around it"
        if token.type == "function" and after_colon and token.lower_name == "slotted":
            return "uses ::slotted(), which styles the partner page's own elements"
        if token.type == "ident" and after_colon and token.lower_value == "root":
            return "uses :root, which is the partner's page, not the widget"
        if (
            token.type == "ident"
            and token.lower_value in _DOCUMENT_SELECTORS
            and not (previous is not None and previous.type == "literal" and previous.value in (":", "."))
        ):
            return f"names <{token.lower_value}>, which is the partner's page, not the widget"
        previous = token
    return None


def _walk(tokens: Iterable, attributes: bool = True) -> Iterator:
    """Tokens in order, descending into blocks and function arguments.

    ``attributes=False`` skips ``[...]`` blocks (a selector's attribute values are not names).
    """
    for token in tokens:
        yield token
        if token.type == "function":
            yield from _walk(token.arguments, attributes)
        elif token.type in ("() block", "{} block") or (attributes and token.type == "[] block"):
            yield from _walk(token.content, attributes)


def _referenced_urls(tokens: Iterable) -> Iterator[tuple[object, str]]:
    """``(token, url)`` for every ``url()``, ``src()`` and ``image-set()`` string in ``tokens``."""
    for token in _walk(tokens):
        if token.type == "url":
            yield token, token.value
        elif token.type == "function" and token.lower_name in _URL_FUNCTIONS:
            for arg in token.arguments:
                if arg.type == "string":
                    yield token, arg.value


# ---------------------------------------------------------------------- SVG

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
#: Namespaces whose elements may appear in a theme SVG: SVG itself and the metadata editors
#: write (RDF, Dublin Core, Creative Commons, Inkscape, Sodipodi). Anything else (XHTML inside
#: an SVG, say) is refused: it is how markup that runs script gets into an image.
_SVG_ELEMENT_NAMESPACES = {
    SVG_NS,
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://purl.org/dc/elements/1.1/",
    "http://creativecommons.org/ns#",
    "http://web.resource.org/cc/",
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
}
#: Elements that run script, embed other documents or load from elsewhere.
_SVG_FORBIDDEN_ELEMENTS = {"script", "foreignobject", "handler", "listener", "iframe", "embed", "object"}
#: Animation elements may not change what a link points to or add a handler.
_SVG_ANIMATIONS = {"set", "animate", "animatetransform", "animatemotion", "animatecolor"}
#: ``href`` values an SVG may use: a fragment of itself, or an embedded raster image.
_SVG_SAFE_HREF = re.compile(r"^\s*(#|data:image/(png|jpeg|gif|webp);)", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
_SVG_MAX_BYTES = 512 * 1024


class _SvgRefused(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def check_svg(path: Path, label: str) -> list[Problem]:
    """Problems of one SVG of a theme: no script, no event attributes, no external references.

    Parsed with expat (the parser behind ``xml.etree.ElementTree``) with the care defusedxml
    takes: a DOCTYPE, an entity declaration or a processing instruction is refused outright (no
    entity expansion, no external DTD). Anything not known to be harmless is refused; the first
    refusal is reported with its line.
    """
    from xml.parsers import expat

    data = path.read_bytes()
    if len(data) > _SVG_MAX_BYTES:
        return [Problem(label, None, KIND_SAFETY, f"SVG is larger than {_SVG_MAX_BYTES // 1024} KiB")]
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[str] = []
    style_text: list[str] = []

    source_lines = data.decode("utf-8", "replace").splitlines()

    def line(attribute: str = "") -> int:
        """The line of the current start tag or, in a tag over several lines, of ``attribute``."""
        start_line = parser.CurrentLineNumber
        if attribute:
            pattern = re.compile(rf"(^|[\s:]){re.escape(attribute)}\s*=", re.IGNORECASE)
            for number in range(start_line, min(start_line + 50, len(source_lines)) + 1):
                if pattern.search(source_lines[number - 1]):
                    return number
        return start_line

    def refuse_doctype(*_args) -> None:
        raise _SvgRefused(line(), "SVG has a DOCTYPE: DTDs and entities are not allowed in theme SVGs")

    def refuse_entity(*_args) -> None:
        raise _SvgRefused(line(), "SVG declares an entity: not allowed in theme SVGs")

    def refuse_pi(target: str, _data: str) -> None:
        raise _SvgRefused(line(), f"SVG has a processing instruction <?{target}?>: not allowed in theme SVGs")

    def refuse_external(*_args) -> int:
        raise _SvgRefused(line(), "SVG refers to an external entity: not allowed in theme SVGs")

    def start(qname: str, attributes: dict[str, str]) -> None:
        namespace, _, local = qname.rpartition(" ")
        lower = local.lower()
        if not stack and (namespace != SVG_NS or lower != "svg"):
            raise _SvgRefused(line(), f"the root element is <{local}>, not an <svg> in the SVG namespace")
        if namespace not in _SVG_ELEMENT_NAMESPACES:
            raise _SvgRefused(
                line(), f"element <{local}> in namespace {namespace or '(none)'!r} is not allowed"
            )
        if lower in _SVG_FORBIDDEN_ELEMENTS:
            raise _SvgRefused(
                line(), f"<{local}> is not allowed in theme SVGs (it can run script or load content)"
            )
        for attr_qname, value in attributes.items():
            attr_ns, _, attr = attr_qname.rpartition(" ")
            attr_lower = attr.lower()
            if attr_lower.startswith("on"):
                raise _SvgRefused(
                    line(attr), f"event attribute {attr}= on <{local}> is not allowed (it runs script)"
                )
            if attr_lower == "href" and attr_ns in ("", XLINK_NS) and not _SVG_SAFE_HREF.match(value):
                raise _SvgRefused(
                    line(attr),
                    f"<{local}> links to {value[:60]!r}: only #fragments and data:image URIs are allowed",
                )
            if "javascript:" in value.lower().replace(" ", ""):
                raise _SvgRefused(line(attr), f"attribute {attr}= on <{local}> contains javascript:")
            if (
                lower in _SVG_ANIMATIONS
                and attr_lower == "attributename"
                and (value.lower().endswith("href") or value.lower().startswith("on"))
            ):
                raise _SvgRefused(line(), f"<{local}> may not animate {value!r}")
            _check_css_urls(value, line(attr), f"attribute {attr}= on <{local}>")
        stack.append(lower)
        if lower == "style":
            style_text.clear()

    def end(_qname: str) -> None:
        if stack and stack[-1] == "style":
            _check_css_urls("".join(style_text), line(), "<style>")
        stack.pop()

    def text(chars: str) -> None:
        if stack and stack[-1] == "style":
            style_text.append(chars)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ProcessingInstructionHandler = refuse_pi
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except _SvgRefused as refused:
        return [Problem(label, refused.line, KIND_SAFETY, refused.message)]
    except expat.ExpatError as exc:
        return [
            Problem(
                label, exc.lineno, KIND_PARSE, f"SVG is not well-formed XML: {expat.ErrorString(exc.code)}"
            )
        ]
    return []


def _check_css_urls(text: str, line: int, where: str) -> None:
    """Refuse ``@import`` and ``url()`` to anything but a fragment of the SVG or a data: image."""
    if "@import" in text.lower():
        raise _SvgRefused(line, f"{where} uses @import: not allowed in theme SVGs")
    for match in _CSS_URL.finditer(text):
        target = match.group(1)
        if not _SVG_SAFE_HREF.match(target):
            raise _SvgRefused(
                line, f"{where} refers to url({target[:60]!r}): only #fragments and data:image URIs"
            )


# ---------------------------------------------------------------------- contrast


def theme_properties(rules: list) -> dict[str, tuple[str, int]]:
    """``--sc-*`` values set on plain ``:host`` at the top level: ``{name: (value, line)}``.

    Values inside ``@media`` or on ``:host(...)`` variants are not what most customers see and
    are not contrast-checked (docs/theming.md says so).
    """
    values: dict[str, tuple[str, int]] = {}
    for rule in rules:
        if rule.type != "qualified-rule":
            continue
        selectors = _split_commas(rule.prelude)
        if not any(len(s) == 2 and s[1].type == "ident" and s[1].lower_value == "host" for s in selectors):
            continue
        for decl in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
            if decl.type == "declaration" and decl.name.startswith(PROPERTY_PREFIX):
                values[decl.name] = (tinycss2.serialize(decl.value).strip(), decl.source_line)
    return values


def base_defaults(path: Path = BASE_CSS) -> dict[str, str]:
    """The fallback of each ``--sc-*`` property in the base CSS (``var(--sc-x, <fallback>)``).

    A theme that leaves a property out gets exactly this value in the browser, because only the
    partner's own theme stylesheet is loaded over the base CSS. The first fallback wins.
    """
    defaults: dict[str, str] = {}
    for match in _VAR_FALLBACK.finditer(path.read_text(encoding="utf-8")):
        defaults.setdefault(match.group(1), match.group(2).strip())
    return defaults


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour with channels in 0..1."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """WCAG contrast ratio (1..21) of two opaque sRGB colours."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _resolve(name: str, theme: Mapping[str, tuple[str, int]], defaults: Mapping[str, str], depth: int = 0):
    """``(value, line)`` of a property, following ``var(--sc-other[, fallback])`` references."""
    value, line = theme.get(name, (defaults.get(name, ""), None))
    match = re.fullmatch(r"var\(\s*(--[\w-]+)\s*(?:,\s*(.+))?\)", value.strip())
    if match and depth < 8:
        inner, inner_line = _resolve(match.group(1), theme, defaults, depth + 1)
        if not inner and match.group(2):
            inner = match.group(2)
        return inner, line if line is not None else inner_line
    return value, line


def _parse_rgba(value: str):
    parsed = tinycss2.color3.parse_color(value) if value else None
    return parsed if parsed is not None and not isinstance(parsed, str) else None


def _over(top, bottom: tuple[float, float, float]) -> tuple[float, float, float]:
    """``top`` (RGBA) composited over an opaque ``bottom``."""
    alpha = top.alpha
    return tuple(alpha * t + (1 - alpha) * b for t, b in zip(top[:3], bottom, strict=True))


@dataclass(frozen=True)
class PairContrast:
    """One key colour pair of a theme as the browser resolves it (``ratio`` None: not a colour)."""

    foreground: str
    background: str
    purpose: str
    foreground_value: str
    background_value: str
    line: int | None
    ratio: float | None

    @property
    def passes(self) -> bool:
        return self.ratio is not None and self.ratio >= MIN_CONTRAST


def pair_contrasts(theme: Mapping[str, tuple[str, int]], defaults: Mapping[str, str]) -> list[PairContrast]:
    """Every pair of ``CONTRAST_PAIRS`` with its values and ratio (what ``check_contrast`` judges)."""
    white = (1.0, 1.0, 1.0)
    surface_value, _ = _resolve("--sc-surface", theme, defaults)
    surface_rgba = _parse_rgba(surface_value)
    # A translucent surface shows the partner's page through; assume a white page beneath.
    surface = _over(surface_rgba, white) if surface_rgba else white
    pairs = []
    for fg_name, bg_name, purpose in CONTRAST_PAIRS:
        fg_value, fg_line = _resolve(fg_name, theme, defaults)
        bg_value, bg_line = _resolve(bg_name, theme, defaults)
        fg, bg = _parse_rgba(fg_value), _parse_rgba(bg_value)
        ratio = None
        if fg is not None and bg is not None:
            background = _over(bg, surface)
            ratio = contrast_ratio(_over(fg, background), background)
        pairs.append(PairContrast(fg_name, bg_name, purpose, fg_value, bg_value, fg_line or bg_line, ratio))
    return pairs


def check_contrast(
    label: str, theme: Mapping[str, tuple[str, int]], defaults: Mapping[str, str]
) -> list[Problem]:
    """A problem for every key colour pair below WCAG 2.1 AA (4.5:1) or not checkable."""
    problems: list[Problem] = []
    for pair in pair_contrasts(theme, defaults):
        fg_name, bg_name, purpose = pair.foreground, pair.background, pair.purpose
        fg_value, bg_value, line, ratio = pair.foreground_value, pair.background_value, pair.line, pair.ratio
        if ratio is None:
            fg = _parse_rgba(fg_value)
            bad = fg_name if fg is None else bg_name
            shown = fg_value if fg is None else bg_value
            problems.append(
                Problem(
                    label,
                    line,
                    KIND_CONTRAST,
                    f"{bad} = {shown or '(unset)'!r} is not a plain colour, so the contrast of "
                    f"{fg_name} on {bg_name} ({purpose}) cannot be checked",
                )
            )
            continue
        if ratio < MIN_CONTRAST:
            problems.append(
                Problem(
                    label,
                    line,
                    KIND_CONTRAST,
                    f"contrast of {fg_name} {fg_value} on {bg_name} {bg_value} ({purpose}) is "
                    f"{ratio:.2f}:1, WCAG 2.1 AA needs at least {MIN_CONTRAST}:1",
                )
            )
    return problems


# ---------------------------------------------------------------------- folders and start-up


def theme_folders(themes_dir: Path) -> list[Path]:
    """Every theme folder in ``themes_dir`` (sorted by name)."""
    return sorted(p for p in Path(themes_dir).iterdir() if p.is_dir() and not p.name.startswith("."))


def verify_partner_themes(themes_dir: Path, partners: Mapping[str, object]) -> None:
    """Start-up gate: every partner's theme exists and is safe, else ``ConfigError``.

    Contrast problems are logged as warnings (the check command fails on them; production keeps
    serving). Each theme is checked once however many partners share it.
    """
    defaults = base_defaults()
    verdicts: dict[str, list[Problem]] = {}
    for partner_id, partner in partners.items():
        theme = getattr(partner, "theme", "default")
        folder = Path(themes_dir) / theme
        if theme in ("", ".", "..") or "/" in theme or "\\" in theme or not folder.is_dir():
            raise ConfigError(f"partner {partner_id!r}: theme {theme!r} is not a folder in {themes_dir}")
        if theme not in verdicts:
            verdicts[theme] = check_theme(folder, defaults)
            for problem in verdicts[theme]:
                if problem.kind == KIND_CONTRAST:
                    log.warning("theme %s: %s", theme, problem)
        refusals = [p for p in verdicts[theme] if p.kind != KIND_CONTRAST]
        if refusals:
            listed = "; ".join(str(p) for p in refusals[:5])
            raise ConfigError(
                f"partner {partner_id!r}: theme {theme!r} is unsafe or broken "
                f"(run `selfcare-widget check-theme {folder}`): {listed}"
            )
