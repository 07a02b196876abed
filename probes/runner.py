"""Run a validated probe (see probes.spec) against the network: request in, verdict out.

All of the runner's httpx usage lives here. `run_probe` never raises: every problem becomes
a failed Verdict with a class, the step, what was expected and what was seen, in plain
words, with every secret (env value) replaced by ***.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from urllib.parse import quote, quote_plus

import httpx
from httpx import _urlparse as httpx_urlparse

from probes import matchers
from probes.masking import mask_json, mask_text
from probes.templating import Renderer, TemplateError, iter_strings, scan

FAILURE_CLASSES = ("timeout", "connect", "tls", "http_status", "assertion", "latency")
SEEN_LIMIT = 300
MESSAGE_LIMIT = 600
MAX_BODY_BYTES = 5 * 1024 * 1024  # a probe checks a health answer, not a download
SNIPPET_CHARS = 150
USER_AGENT = "statuspage-probe/1.0"
_REDACTED = "***"
# httpx's own percent-encoding (pinned in requirements.txt; private, so checked by
# tests/reliability/test_secrets.py, which finds a leak if it changes).
_HTTPX_URL_SAFE = (httpx_urlparse.PATH_SAFE, httpx_urlparse.QUERY_SAFE, httpx_urlparse.FRAG_SAFE)
_httpx_quote = httpx_urlparse.quote


@dataclass
class Verdict:
    ok: bool
    duration_ms: int
    failure_class: str | None = None
    step_index: int | None = None
    step: str | None = None
    expectation: str | None = None
    seen: str | None = None
    message: str = ""
    steps: list[dict] = field(default_factory=list)  # {"name", "status_code", "ms"} per step run

    def to_dict(self) -> dict:
        return asdict(self)


class _Failure(Exception):
    """A step failed in a known way; carries the verdict's class and plain words."""

    def __init__(self, failure_class: str, expectation: str, seen: str) -> None:
        super().__init__(seen)
        self.failure_class, self.expectation, self.seen = failure_class, expectation, seen


_ssl_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None


def _shared_ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~25 ms of CPU per client; one context serves every client.
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


# Builds the client's transport from httpx's `verify` and `limits` keywords. The caller
# passes the SSRF guard in (statuspage.webhooks.ssrf.GuardedTransport): the runner stays pure.
TransportFactory = Callable[..., httpx.BaseTransport]


def make_client(max_connections: int = 32, transport: TransportFactory | None = None) -> httpx.Client:
    """A client for probes: no proxies/netrc from the environment, no redirects, no shared cookies."""
    # The client's own jar refuses every cookie, so probes sharing a client can't see each
    # other's sessions; each run keeps its own jar (see run_probe).
    no_cookies = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    return httpx.Client(
        trust_env=False,
        verify=_shared_ssl_context(),
        follow_redirects=False,
        cookies=no_cookies,
        headers={"User-Agent": USER_AGENT},
        limits=limits,
        transport=transport(verify=_shared_ssl_context(), limits=limits) if transport else None,
    )


# ---------------------------------------------------------------- secrets


def _env_names(spec: dict) -> set[str]:
    names = set()
    for step in spec.get("steps") or []:
        for text in iter_strings((step or {}).get("request")):
            names.update(p.name for p in scan(text)[0] if p.env)
    return names


class _Redactor:
    """Replaces every secret, in each form it may take in text, JSON or a URL, by ***."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._forms: list[str] | None = []

    def add(self, values: set[str]) -> None:
        values = {v for v in values if v}
        if not values <= self._secrets:
            self._secrets |= values
            self._forms = None  # worked out only if a failure needs it: most runs pass

    @property
    def forms(self) -> list[str]:
        if self._forms is None:
            forms = set()
            for value in self._secrets:
                forms |= _escaped_forms(value)
            forms.discard("")
            self._forms = sorted(forms, key=len, reverse=True)  # longest first: no partial leaks
        return self._forms

    def __call__(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, _REDACTED)
        return text

    def values(self, value: object) -> object:
        """A copy of a JSON value with secrets redacted from its strings."""
        if not self.forms:
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, list):
            return [self.values(item) for item in value]
        if isinstance(value, dict):
            return {self(str(k)): self.values(v) for k, v in value.items()}
        return value


def _escaped_forms(value: str) -> set[str]:
    """A secret as it may come back in what a server says: as sent in a URL (percent-encoded
    our way or httpx's: '"' becomes %22 but '+' and '/' stay), then escaped once, twice or
    three times as JSON or HTML (a JSON body echoed inside a JSON error, inside a page)."""
    forms = {value, quote(value, safe=""), quote(value), quote_plus(value)}
    forms |= {_httpx_quote(value, safe) for safe in _HTTPX_URL_SAFE}
    for _ in range(3):
        forms |= {json.dumps(f, ensure_ascii=ascii)[1:-1] for f in forms for ascii in (False, True)}
        forms |= {html.escape(f) for f in forms}
    return forms


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _ms_since(start: float) -> int:
    return round((time.monotonic() - start) * 1000)


# ---------------------------------------------------------------- one probe


def run_probe(spec: dict, env: Mapping[str, str], client: httpx.Client) -> Verdict:
    """Run the probe's steps in order within its time limit. Never raises."""
    start = time.monotonic()
    redact = _Redactor()
    steps_run: list[dict] = []
    index, name = None, None
    try:
        try:
            redact.add({str(env[n]) for n in _env_names(spec) if n in env})
        except Exception:  # noqa: BLE001 - can't tell which values the spec uses: hide them all
            redact.add({str(v) for v in env.values()})
        run = _Run(spec, env, client, redact, start)
        for index, step in enumerate(spec["steps"]):  # noqa: B007 - `index` is read by the except clauses below
            name = str(step["name"])
            entry = {"name": name, "status_code": None, "ms": None}
            steps_run.append(entry)
            run.step(step, entry)
    except _Failure as failure:
        return _failed(failure, start, index, name, steps_run, redact)
    except Exception as exc:  # noqa: BLE001 - a bug or odd spec must still give a verdict
        failure = _Failure("connect", "the probe to run", f"probe could not run: {type(exc).__name__}: {exc}")
        return _failed(failure, start, index, name, steps_run, redact)
    total = _ms_since(start)
    return Verdict(ok=True, duration_ms=total, message=f"All {len(steps_run)} steps passed in {total} ms",
                   steps=steps_run)


def _failed(failure: _Failure, start: float, index: int | None, name: str | None,
            steps_run: list[dict], redact: _Redactor) -> Verdict:
    seen = _clip(redact(failure.seen), SEEN_LIMIT)
    expectation = _clip(redact(failure.expectation), SEEN_LIMIT)
    where = f"Step '{name}'" if name is not None else "The probe"
    message = _clip(redact(f"{where} failed: {seen.rstrip('.')}, expected {expectation}"), MESSAGE_LIMIT)
    for entry in steps_run:
        entry["name"] = redact(entry["name"])
    return Verdict(
        ok=False, duration_ms=_ms_since(start), failure_class=failure.failure_class,
        step_index=index, step=redact(name) if name is not None else None,
        expectation=expectation, seen=seen, message=message, steps=steps_run,
    )


class _Run:
    """One run of one probe: its saved values, cookies, deadline and secrets."""

    def __init__(self, spec: dict, env: Mapping[str, str], client: httpx.Client,
                 redact: _Redactor, start: float) -> None:
        self.client = client
        self.redact = redact
        self.renderer = Renderer(env=env, saved={})
        self.cookies = httpx.Cookies()  # this run's session only
        self.timeout_ms = int(spec["timeout_ms"])
        self.deadline = start + self.timeout_ms / 1000

    def step(self, step: dict, entry: dict) -> None:
        request_spec = step["request"]
        try:
            rendered = self.renderer.render(
                {part: request_spec.get(part) for part in ("url", "headers", "query", "json", "form", "body")}
            )
        except TemplateError as exc:
            raise _Failure("connect", "every placeholder to be filled", f"request not sent: {exc}") from None
        finally:
            # Saved values sent on are often session tokens; short ones (ids) stay readable.
            self.redact.add(self.renderer.used_env_values
                            | {v for v in self.renderer.used_saved_values if len(v) >= 8})

        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _Failure("timeout", f"all steps within {self.timeout_ms} ms",
                           "the time limit ran out before this step")

        sent = time.monotonic()
        try:
            url = httpx.URL(rendered["url"])
            if rendered["query"]:  # merged by hand: httpx's params= would replace the URL's query
                url = url.copy_merge_params(rendered["query"])
            request = self.client.build_request(
                request_spec["method"],
                url,
                headers=rendered["headers"] or None,
                json=rendered["json"] if "json" in request_spec else None,
                data=rendered["form"] if "form" in request_spec else None,
                content=rendered["body"].encode() if "body" in request_spec else None,
                timeout=httpx.Timeout(remaining),  # each I/O wait gets the whole remaining budget
            )
            if self.cookies.jar:  # the cookie machinery costs ~5% of a probe: skip it when unused
                self.cookies.set_cookie_header(request)
            response = self.client.send(request, stream=True,
                                        follow_redirects=bool(request_spec.get("follow_redirects")))
            try:
                body, truncated = self._read_body(response)
            finally:
                response.close()
        except Exception as exc:  # noqa: BLE001 - whatever sending or reading raised, the step failed on the wire
            raise _transport_failure(exc, _ms_since(sent), self.timeout_ms) from None
        finally:
            entry["ms"] = _ms_since(sent)
        entry["status_code"] = response.status_code
        if "set-cookie" in response.headers:
            self.cookies.extract_cookies(response)
        if time.monotonic() > self.deadline:
            raise _Failure("timeout", f"all steps within {self.timeout_ms} ms",
                           f"the answer took until past the limit ({entry['ms']} ms)")
        try:
            self._check_response(step, response, body, truncated, entry["ms"])
        except _Failure:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. a JSONPath filter comparing a string with a number
            raise _Failure("assertion", "the checks to run",
                           f"could not check the answer: {type(exc).__name__}: {exc}") from None

    def _read_body(self, response: httpx.Response) -> tuple[bytes, bool]:
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return b"".join(chunks)[:MAX_BODY_BYTES], True
            if time.monotonic() > self.deadline:  # a server dripping bytes must not outlast the limit
                raise httpx.ReadTimeout("the answer was still arriving at the time limit")
        return b"".join(chunks), False

    # ------------------------------------------------------------ checks

    def _snippet(self, text: str, limit: int = SNIPPET_CHARS) -> str:
        # Only the shape of a response's text: its words may be a stranger's data (probes.masking).
        return mask_text(" ".join(self.redact(text).split()))

    def _check_response(self, step: dict, response: httpx.Response, body: bytes, truncated: bool,
                        elapsed_ms: int) -> None:
        try:
            # Expectations may name the canary's identity: "$.owner.phone": "{{ env.CANARY_PHONE }}".
            expect = self.renderer.render(step.get("expect") or {})
        except TemplateError as exc:
            raise _Failure("connect", "every placeholder to be filled", f"expectation not checked: {exc}") from None
        finally:
            self.redact.add(self.renderer.used_env_values)
        text = _decode(response, body)
        self._check_status(expect.get("status"), response, text)
        for name, matcher in (expect.get("header") or {}).items():
            self._assert(f"header {name}", matcher, response.headers.get_list(name))
        self._check_body(expect, text)

        if expect.get("json") or step.get("save"):
            if truncated:
                raise _Failure("assertion", "a JSON body", f"the body is larger than {MAX_BODY_BYTES} bytes")
            try:
                document = json.loads(body)
            except ValueError:
                raise _Failure("assertion", "a JSON body", f"body is not JSON: {self._snippet(text)}") from None
            for path, matcher in (expect.get("json") or {}).items():
                self._assert(path, matcher, matchers.find_values(path, document))
            for name, path in (step.get("save") or {}).items():
                values = matchers.find_values(path, document)
                if not values:
                    raise _Failure("assertion", f"a value to save as '{name}'", f"{path}: nothing found")
                self.renderer.saved[name] = values[0]  # type: ignore[index]

        max_ms = expect.get("max_ms")
        if max_ms is not None and elapsed_ms > max_ms:
            raise _Failure("latency", f"an answer within {max_ms} ms", f"the answer took {elapsed_ms} ms")

    def _assert(self, subject: str, matcher: dict, values: list) -> None:
        for number, result in enumerate(matchers.check(subject, matcher, values)):
            if not result.ok:
                # Describe redacted values: matchers cut long values, which could split a secret.
                # Masked too: a wrong answer may carry a stranger's data (probes.masking).
                shown = mask_json(self.redact.values(values))
                seen = matchers.check(subject, matcher, shown)[number].seen  # type: ignore[arg-type]
                raise _Failure("assertion", result.expectation, seen)

    def _check_status(self, wanted: list[int] | None, response: httpx.Response, text: str) -> None:
        code = response.status_code
        if (code in wanted) if wanted else (200 <= code < 300):
            return
        seen = f"HTTP {code} {response.reason_phrase}".rstrip()
        if response.is_redirect:
            seen += f" (redirect to {self.redact(response.headers.get('location', '?'))})"
        if text.strip():
            seen += f": {self._snippet(text)}"
        expectation = "HTTP " + " or ".join(map(str, wanted)) if wanted else "a 2xx status"
        raise _Failure("http_status", expectation, seen)

    def _check_body(self, expect: dict, text: str) -> None:
        for needle in expect.get("body_contains") or []:
            if needle not in text:
                raise _Failure("assertion", f"the body to contain '{needle}'",
                               f"body starts with: {self._snippet(text)}")
        for needle in expect.get("body_not_contains") or []:
            if needle in text:
                raise _Failure("assertion", f"the body not to contain '{needle}'",
                               f"body contains it at character {text.find(needle)} of {len(text)}")
        window = text[: matchers.REGEX_WINDOW_CHARS]
        for pattern in expect.get("body_matches") or []:
            try:
                matched = matchers.regex_search(pattern, window)
            except TimeoutError:
                raise _Failure("assertion", f"the body to match /{pattern}/",
                               "the pattern took too long (catastrophic backtracking?)") from None
            if not matched:
                raise _Failure("assertion", f"the body to match /{pattern}/",
                               f"body starts with: {self._snippet(text)}")


def _decode(response: httpx.Response, body: bytes) -> str:
    try:
        return body.decode(response.charset_encoding or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name in Content-Type
        return body.decode("utf-8", errors="replace")


def _is_tls_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    text = str(exc)
    return "SSL" in text or "CERTIFICATE" in text.upper()


def _transport_failure(exc: Exception, elapsed_ms: int, timeout_ms: int) -> _Failure:
    kind = type(exc).__name__
    text = str(exc) or kind
    if isinstance(exc, httpx.TimeoutException):
        return _Failure("timeout", f"an answer within the probe's {timeout_ms} ms limit",
                        f"no answer after {elapsed_ms} ms ({kind})")
    if _is_tls_error(exc):
        return _Failure("tls", "a valid TLS connection", f"TLS failed: {text}")
    if isinstance(exc, httpx.TooManyRedirects):
        return _Failure("http_status", "an answer without endless redirects", text)
    if isinstance(exc, httpx.ConnectError):
        return _Failure("connect", "a connection to the server", f"could not connect: {text}")
    return _Failure("connect", "a complete exchange with the server", f"{kind}: {text}")


# ---------------------------------------------------------------- many probes


def run_batch(specs: list[dict], env: Mapping[str, str], concurrency: int = 32,
              transport: TransportFactory | None = None) -> list[Verdict]:
    """Run many probes at once, at most `concurrency` in flight; verdicts in the order of specs.
    `transport` builds each client's transport (the SSRF guard); None connects anywhere."""
    if not specs:
        return []
    workers = max(1, min(concurrency, len(specs)))
    # One client per thread: no lock contention on a shared connection pool, and each
    # thread's keep-alive connections are reused for its next probes (see bench/).
    local = threading.local()
    clients: list[httpx.Client] = []
    clients_lock = threading.Lock()

    def run(spec: dict) -> Verdict:
        try:
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = make_client(max_connections=8, transport=transport)
                with clients_lock:
                    clients.append(client)
        except Exception as exc:  # noqa: BLE001 - e.g. no CA bundle: still one verdict per spec
            return Verdict(ok=False, duration_ms=0, failure_class="connect", expectation="an HTTP client",
                           seen=_clip(str(exc), SEEN_LIMIT),
                           message=f"The probe could not start: {exc}"[:MESSAGE_LIMIT])
        return run_probe(spec, env, client)

    try:
        if workers == 1:
            return [run(spec) for spec in specs]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe") as pool:
            return list(pool.map(run, specs))
    finally:
        for client in clients:
            client.close()
