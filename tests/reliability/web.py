"""A browser-like HTTP client for the load tests: real sessions, real forms, real CSRF tokens."""

import time
from html.parser import HTMLParser

import requests


class FormParser(HTMLParser):
    """Collect the fields of the first <form> whose action contains `action`; with no `action`,
    of the first form posting to its own page (no action attribute): the page's main form.

    Values are what a browser would submit unchanged: text inputs and hidden fields, checked
    boxes, selected options and textareas.
    """

    def __init__(self, action: str = "") -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.fields: list[tuple[str, str]] = []
        self._in_form = self._done = False
        self._select: str | None = None
        self._select_first: str | None = None
        self._selected = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        target = attrs.get("action") or ""
        wanted = self.action in target if self.action else not target
        if tag == "form" and not self._done and wanted:
            self._in_form = True
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value") or "y"))
            elif kind not in {"submit", "file", "button"}:
                self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._select_first, self._selected = name, None, False
        elif tag == "option" and self._select:
            value = attrs.get("value") or ""
            if self._select_first is None:
                self._select_first = value
            if "selected" in attrs:
                self.fields.append((self._select, value))
                self._selected = True
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))

    def handle_data(self, data):
        if self._textarea:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            if not self._selected and self._select_first is not None:
                self.fields.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def form_fields(html: str, action: str = "") -> dict[str, str | list[str]]:
    """Return a form's fields as a dict; repeated names (checkboxes) become lists."""
    parser = FormParser(action)
    parser.feed(html)
    fields: dict[str, str | list[str]] = {}
    for name, value in parser.fields:
        if name in fields:
            previous = fields[name]
            fields[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[name] = value
    return fields


class WebClient:
    """One logged-in user: a requests session that records every answer's status and time."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.username = username
        self.password = password
        self.session = requests.Session()
        #: (kind, status, seconds) for every request made.
        self.log: list[tuple[str, int, float]] = []

    def request(self, kind: str, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 120)
        kwargs.setdefault("allow_redirects", False)
        started = time.perf_counter()
        response = self.session.request(method, self.base_url + path, **kwargs)
        self.log.append((kind, response.status_code, time.perf_counter() - started))
        return response

    def log_in(self) -> None:
        page = self.request("login", "GET", "/login")
        fields = form_fields(page.text)
        fields.update(username=self.username, password=self.password)
        answer = self.request("login", "POST", "/login", data=fields)
        assert answer.status_code == 302, (self.username, answer.status_code, answer.text[:2000])

    def close(self) -> None:
        self.session.close()
