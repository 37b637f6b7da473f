"""Every form and every query parameter, fed hostile values as each role: never a server
error, and a request answered with an error writes nothing.

What is fuzzed is found, not listed: every URL pattern of the resolver (admin included),
filled with real ids; every `<form>` those pages render (its inputs, selects and
textareas, posted to its action) and every query parameter their links carry or the
views read (`request.GET`/`request.POST` in the views' source). A new page, form or
field is fuzzed without touching this file.

Each request runs in a savepoint rolled back afterwards, so every example meets the same
clinic and the rows can be compared with it: a request answered with anything but a
redirect or an htmx card (a form shown again with its errors, a 4xx) must leave the row
count of every table, and every appointment, session and plan, as they were.

A sweep posts to one form or page of each kind with each field in turn set to the next
of `HOSTILE` (`PER_FIELD` values each), and each path parameter at the ends of what its
converter accepts; then hypothesis draws `EXAMPLES` more requests per role, several
fields at once, from `HOSTILE`, the page's own values, text, huge numbers, any date
(derandomised, so both databases see the same requests). Each role's run prints how
many requests it made and the statuses they got.
"""

import ast
import inspect
import re
import sys
import traceback
from collections import Counter
from datetime import date, datetime, time, timedelta
from html.parser import HTMLParser
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

import pytest
from django import forms
from django.apps import apps
from django.core.signals import got_request_exception
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.models import ClinicSettings, Closure, TimeOff
from patients import forms as patients_forms
from plans import forms as plans_forms
from plans.models import Appointment, Session, TreatmentPlan
from tests import factories
from tests.pages.data import clinic_day

pytestmark = pytest.mark.django_db

ROLES = ("receptionist", "clinician", "admin")
EXAMPLES = 80  # drawn requests per role, after the sweep
BIG = 2**63
# Values that broke, or could break, a parser, a converter or the calendar.
HOSTILE = (
    "",
    " ",
    "0",
    "-1",
    "²",
    "٣",
    "１２",
    str(BIG),
    str(BIG - 1),
    str(2**64 + 7),
    "9" * 40,
    "1" * 4301,
    "1e400",
    "nan",
    "0001-01-01",
    "9999-12-31",
    "1900-01-01",
    "2200-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-14:00",
    "1900-01-01T10:00",
    "24:00",
    "23:59:59.999999",
    "foo",
    "//evil.example",
    "http://evil.example/",
    "/\\evil.example",
    "javascript:alert(1)",
    "/schedule/",
    "\x00",
    "<script>x</script>",
    "on",
    "every 40000 days",
    "every 2 weeks for " + "9" * 4301 + " months",
    "every ²  weeks",
    "Mars/Olympus",
)
PER_FIELD = 1  # hostile values each field gets in the sweep
SKIPPED_TABLES = {"django_session"}
NOT_FUZZED = {
    # Signing out ends the role's session: every later request would be a redirect.
    "logout",
    # Its own `next` and throttling belong to the sign-in work.
    "login",
}


# --- the clinic fuzzed ------------------------------------------------------------------


@pytest.fixture
def world(clinician, settings, tmp_path):
    """A clinic day with bookings, a flagged one, a plan blocked by its screening, a
    batch, a closure and time off; ids by the name the URL patterns give them."""
    settings.MEDIA_ROOT = tmp_path  # what a consent form saves
    today = ClinicSettings.load().today()
    booked, flagged = clinic_day(today, clinician=clinician, per_clinician=2)
    Appointment.objects.filter(pk=flagged.pk).update(needs_rebooking=True)
    plan = booked.session.plan
    product = factories.make_product()
    factories.make_batch(product, "LOT-1", today + timedelta(days=400))
    factories.make_area("Neck")
    Closure.objects.create(
        name="Winter", first_day=today + timedelta(days=60), last_day=today + timedelta(days=62)
    )
    tz = ClinicSettings.load().tz
    TimeOff.objects.create(
        clinician=clinician,
        starts_at=datetime.combine(today + timedelta(days=30), time(9), tzinfo=tz),
        ends_at=datetime.combine(today + timedelta(days=31), time(18), tzinfo=tz),
    )
    blocked = factories.make_plan(
        patient=factories.make_patient(), clinician=clinician, start_date=today - timedelta(30)
    )
    # A finding to override: the plan page offers the override form.
    factories.make_screening(
        blocked.patient, clinician, screened_on=today - timedelta(40), pregnant=True
    )
    # A consent form that keeps signatures (the page has every field), of a method no
    # plan here uses: the bookings stay open.
    peel = factories.make_method("Glycolic acid peel")
    consent = factories.make_consent_form(peel, asks_signature=True)
    return {
        "today": today,
        "consent": [booked.patient_id],
        "version": [consent.current().pk],
        "session": [booked.session.pk, plan.sessions.get(number=2).pk, flagged.session.pk],
        "appointment": [booked.pk, flagged.pk],
        "plan": [plan.pk, blocked.pk],
        "patient": [booked.patient_id, blocked.patient_id],
        "clinician": [clinician.pk],
    }


# --- finding what to fuzz ---------------------------------------------------------------


def _patterns(resolvers=None, prefix=""):
    """(route, URLPattern) for every pattern, admin included."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def _model_of(name: str):
    """The model an admin URL's `object_id` refers to (admin:<app>_<model>_change)."""
    match = re.match(r"admin:(\w+?)_(\w+)_(change|delete|history|password_change)$", name or "")
    if not match:
        return None
    for model in apps.get_models():
        label = f"{model._meta.app_label}_{model._meta.model_name}"
        if label == f"{match[1]}_{match[2]}":
            return model
    return None


def _fill(route: str, name: str, world: dict) -> list[str]:
    """The URLs of a pattern with real ids (one per candidate), or [] when it has none."""
    params = list(_PARAM.finditer(route))
    if not params:
        return ["/" + route.lstrip("^").rstrip("$")]
    owner = (name or "").split("_")[0]
    choices: dict[str, list[str]] = {}
    for m in params:
        param = m["name"] or m["rname"]
        if param == "day":
            choices[param] = [world["today"].isoformat()]
        elif param == "clinician_id":
            choices[param] = [str(pk) for pk in world["clinician"]]
        elif param == "patient_id":
            choices[param] = [str(world["patient"][0])]
        elif param == "version_pk":
            choices[param] = [str(pk) for pk in world["version"]]
        elif param == "pk" and owner in world:
            choices[param] = [str(pk) for pk in world[owner]]
        elif param == "pk" and owner == "screening":
            choices[param] = [str(pk) for pk in world["patient"]]
        elif param == "object_id" and _model_of(name) is not None:
            row = _model_of(name).objects.order_by("pk").first()
            choices[param] = [str(row.pk if row else 1)]
        elif param == "app_label":
            choices[param] = ["clinic", "plans", "patients"]
        else:
            return []  # admin's view-on-site and other routes with nothing real to fill
    urls = []
    width = max(len(values) for values in choices.values())
    for index in range(width):
        url = route
        for m in params:
            values = choices[m["name"] or m["rname"]]
            url = url.replace(m[0], values[index % len(values)], 1)
        urls.append("/" + url.lstrip("^").rstrip("$"))
    return urls


def _path_variants(route: str, url: str) -> list[str]:
    """The same URL with each path parameter at the ends of what its converter accepts."""
    variants = []
    if "<day:day>" in route:
        for day in ("0001-01-01", "9999-12-31", "2026-02-30", "0000-00-00"):
            variants.append(re.sub(r"\d{4}-\d{2}-\d{2}", day, url, count=1))
    if "<int:" in route:
        for number in ("0", str(BIG), "9" * 30):
            variants.append(re.sub(r"/\d+/", f"/{number}/", url, count=1))
    return variants


class _Forms(HTMLParser):
    """The <form>s of a page: method, action and fields with what the page fills in."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        for attr in ("hx-get", "hx-post"):
            if a.get(attr):
                self.links.append(a[attr])
        if tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action")}
            self._form["fields"] = {}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name")
        if not name or "__prefix__" in name:
            return
        fields = self._form["fields"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                if kind == "submit" and a.get("value") is not None:
                    fields.setdefault(name, {"values": [], "choices": []})["choices"].append(
                        a["value"]
                    )
                return
            field = fields.setdefault(name, {"values": [], "choices": []})
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio"):
                field["choices"].append(value)
                if "checked" in a:
                    field["values"].append(value)
            else:
                field["values"].append(value)
        elif tag == "select":
            self._select = name
            fields.setdefault(name, {"values": [], "choices": []})
        elif tag == "option" and self._select:
            value = a.get("value", "")
            field = fields[self._select]
            field["choices"].append(value)
            if "selected" in a:
                field["values"].append(value)
        elif tag == "textarea":
            self._textarea = name
            fields.setdefault(name, {"values": [""], "choices": []})

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea]["values"] = [data]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _reads(function) -> tuple[set[str], set[str]]:
    """The GET and POST parameters a view reads by name, itself or through the functions
    of its module it calls (`request.GET.get("page")`, `request.POST.getlist("room")`)."""
    module = inspect.getmodule(function)
    tree = ast.parse(inspect.getsource(module))
    reads: dict[str, set[tuple[str, str]]] = {}
    calls: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        reads[node.name], calls[node.name] = set(), set()
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name):
                calls[node.name].add(inner.func.id)
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute):
                target, args = inner.func.value, inner.args
            elif isinstance(inner, ast.Subscript):
                target, args = inner.value, [inner.slice]
            else:
                continue
            if (
                isinstance(target, ast.Attribute)
                and target.attr in ("GET", "POST")
                and args
                and isinstance(args[0], ast.Constant)
                and isinstance(args[0].value, str)
            ):
                reads[node.name].add((target.attr, args[0].value))
    seen, todo, found = set(), [function.__name__], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in reads:
            continue
        seen.add(name)
        found |= reads[name]
        todo.extend(calls[name])
    return {n for m, n in found if m == "GET"}, {n for m, n in found if m == "POST"}


def _local(url: str, base: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    path = parts.path or urlsplit(base).path
    if not path.startswith("/"):
        path = urlsplit(base).path.rsplit("/", 1)[0] + "/" + path
    return path


def _name_of(path: str) -> str:
    try:
        return resolve(path).url_name
    except Resolver404:
        return ""


def _fuzzable(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.url_name not in NOT_FUZZED


def targets(client: Client, world: dict) -> tuple[list[dict], list[str]]:
    """What this role can reach: forms (method, path, fields) and plain URLs, each with the
    query parameters seen for it."""
    pages: list[str] = []
    variants: list[str] = []
    for route, pattern in _patterns():
        if pattern.name in NOT_FUZZED:
            continue
        for url in _fill(route, pattern.name, world):
            pages.append(url)
            variants.extend(_path_variants(route, url))
    forms: dict[tuple, dict] = {}
    seen_params: dict[str, set[str]] = {}
    for url in pages:
        response = client.get(url)
        if response.status_code != HTTPStatus.OK or "html" not in response.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(response.content.decode())
        for link in parser.links:
            path = _local(link, url)
            if path and _fuzzable(path):
                query = parse_qsl(urlsplit(link).query, keep_blank_values=True)
                names = {name for name, _ in query}
                if names:
                    seen_params.setdefault(path, set()).update(names)
        for form in parser.forms:
            action = form["action"] or url
            path = _local(action, url)
            if not path or not _fuzzable(path):
                continue
            method = form["method"] if form["method"] in ("get", "post") else "get"
            key = (method, path, tuple(sorted(form["fields"])))
            if key not in forms:
                forms[key] = {"method": method, "path": path, "fields": form["fields"]}
    for url in pages:
        if not url.startswith("/admin/") and _fuzzable(url):
            names, _ = _reads(resolve(urlsplit(url).path).func)
            if names:
                seen_params.setdefault(urlsplit(url).path, set()).update(names)
    for form in forms.values():
        if form["method"] == "post" and not form["path"].startswith("/admin/"):
            for name in _reads(resolve(form["path"]).func)[1]:
                form["fields"].setdefault(name, {"values": [], "choices": []})
    gets = [
        {"method": "get", "path": path, "fields": {n: {"values": [], "choices": []} for n in names}}
        for path, names in seen_params.items()
    ]
    # One page of each kind is enough (the recall board links every session's booking
    # page): at most two paths per view, method and set of fields.
    kept: dict[tuple, list[dict]] = {}
    for target in [*forms.values(), *gets]:
        kind = (target["method"], _name_of(target["path"]), tuple(sorted(target["fields"])))
        if len(kept.setdefault(kind, [])) < 2:
            kept[kind].append(target)
    return list(kept.values()), variants


# --- one request ------------------------------------------------------------------------


class Fuzzer:
    def __init__(self, client: Client):
        self.client = client
        self.requests = 0
        self.failures: list[str] = []
        self.statuses: Counter = Counter()
        self._error: list[str] = []
        got_request_exception.connect(self._caught)
        tables = sorted(set(connection.introspection.table_names()) - SKIPPED_TABLES)
        self._tables = [connection.ops.quote_name(t) for t in tables]
        self.baseline = self.fingerprint()

    def close(self):
        got_request_exception.disconnect(self._caught)

    def _caught(self, sender, request=None, **kwargs):
        kind, error, tb = sys.exc_info()
        self._error.append("".join(traceback.format_exception_only(kind, error)).strip()[:300])
        frames = traceback.extract_tb(tb)
        ours = [f for f in frames if "/site-packages/" not in f.filename] or frames
        self._error.append(f"at {ours[-1].filename}:{ours[-1].lineno}")

    def fingerprint(self) -> tuple:
        """The number of rows of every table (one query), and every row of the tables an
        action updates in place (appointments, sessions, plans)."""
        counts = ", ".join(f"(SELECT COUNT(*) FROM {table})" for table in self._tables)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {counts}")
            rows = [cursor.fetchone()]
            for model in (Appointment, Session, TreatmentPlan):
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"SELECT * FROM {table} ORDER BY id")
                rows.append(cursor.fetchall())
        return tuple(map(tuple, rows))

    def send(self, method: str, path: str, data: dict, *, htmx: bool = False) -> None:
        """One request in a savepoint rolled back afterwards: every request meets the same
        rows, those of `baseline`."""
        headers = {"HX-Request": "true"} if htmx else {}
        self._error = []
        with transaction.atomic():
            if method == "post":
                response = self.client.post(path, data, headers=headers)
            else:
                response = self.client.get(path, data, headers=headers)
            # Done: a redirect, or the card an htmx action answers with.
            done = response.status_code in (301, 302, 303) or (
                htmx and method == "post" and response.status_code == HTTPStatus.OK
            )
            changed = not done and self.fingerprint() != self.baseline
            transaction.set_rollback(True)
        self.requests += 1
        self.statuses[response.status_code] += 1
        shown = {k: v[:40] if isinstance(v, str) else v for k, v in data.items()}
        said = f"{response.status_code} {method.upper()} {path} {shown}"
        if response.status_code >= 500:
            self.failures.append(f"{said} {self._error}")
        elif changed:
            self.failures.append(f"{said}: rows written by a request answered with an error")


def _boilerplate(name: str) -> bool:
    """Fields every admin form has alike: its buttons, the changelist's selection, the
    formsets' counts and the CSRF token (which the test client does not check)."""
    return (
        name.startswith("_")
        or name.endswith(("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS"))
        or name in {"csrfmiddlewaretoken", "select_across", "index", "action"}
    )


def _defaults(fields: dict) -> dict:
    """What the page would post as it stands: each field's value, else its first choice."""
    data = {}
    for name, field in fields.items():
        if field["values"]:
            data[name] = field["values"] if len(field["values"]) > 1 else field["values"][0]
        elif field["choices"]:
            usable = [c for c in field["choices"] if c]
            if usable:
                data[name] = usable[0]
    return data


def _values(field: dict):
    known = [v for v in field["values"] + field["choices"] if v]
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.sampled_from(known or [""]),
        st.text(max_size=12),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.dates().map(date.isoformat),
        st.datetimes().map(lambda moment: moment.isoformat(timespec="minutes")),
    )


def _run(client: Client, found: list, variants: list) -> Fuzzer:
    fuzzer = Fuzzer(client)
    try:
        for url in variants:
            fuzzer.send("get", url, {})
        # The sweep: each field of one form of each kind gets PER_FIELD hostile values,
        # the next ones of HOSTILE for each field, so every value meets many fields.
        turn = 0
        shared: set[str] = set()
        for target, *_ in found:
            base = _defaults(target["fields"])
            fuzzer.send(target["method"], target["path"], base)
            for name in sorted(target["fields"]):
                if target["path"].startswith("/admin/") and _boilerplate(name):
                    if name in shared:
                        continue  # admin's buttons and formset counts: swept once
                    shared.add(name)
                for _ in range(PER_FIELD):
                    value = HOSTILE[turn % len(HOSTILE)]
                    turn += 1
                    fuzzer.send(target["method"], target["path"], {**base, name: value})

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.data())
        def drawn(data):
            target = data.draw(st.sampled_from(data.draw(st.sampled_from(found))))
            values = _defaults(target["fields"])
            names = sorted(target["fields"])
            if names:
                for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=4)):
                    values[name] = data.draw(_values(target["fields"][name]))
            fuzzer.send(target["method"], target["path"], values, htmx=data.draw(st.booleans()))

        drawn()
    finally:
        fuzzer.close()
    return fuzzer


def _form_classes():
    """Every form the clinic's own pages define (admin's are found from its pages)."""
    for module in (plans_forms, patients_forms):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
            ):
                yield value


def test_no_input_gives_a_server_error_or_writes_half(
    world, receptionist, clinician, clinic_admin, capsys
):
    """Each role in turn, on the same clinic; then every field of every form of the
    clinic's pages must have been among those fuzzed (a form no page renders to these
    roles, a new one say, would escape the fuzzing: it fails here instead)."""
    failures, seen, said = [], set(), []
    for role, user in zip(ROLES, (receptionist, clinician.user, clinic_admin), strict=True):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        found, variants = targets(client, world)
        fuzzer = _run(client, found, variants)
        failures += [f"{role}: {failure}" for failure in fuzzer.failures]
        seen |= {name for group in found for target in group for name in target["fields"]}
        said.append(
            f"{role}: {fuzzer.requests} requests to {len(found)} forms and pages, "
            f"statuses {dict(sorted(fuzzer.statuses.items()))}, {len(fuzzer.failures)} failed"
        )
        assert fuzzer.requests > 200, role
    with capsys.disabled():
        print("\nfuzz: " + "; ".join(said))
    assert not failures, "\n".join(failures)
    # A file field is sent as an upload, not typed: the consent pages' own tests send it
    # the wrong kind of file and one too large.
    missing = {
        f"{form.__name__}.{name}"
        for form in _form_classes()
        for name, field in form.base_fields.items()
        if name not in seen and not isinstance(field, forms.FileField)
    }
    assert missing == set()
