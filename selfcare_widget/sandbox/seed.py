"""Deterministic demo data for the sandbox platform.

``generate(path, seed, today)`` writes a complete SQLite database: two MVNO partners, their
customers (Czech names), SIMs as product + service + SIM card, the catalogue, buckets,
twelve months of bills and three months of usage, all relative to ``today``. The same seed
and day always give the same data; the fixed demo customers in :data:`DEMO_CUSTOMERS` are
the same for every seed (tests and docs rely on them).
"""

from __future__ import annotations

import json
import random
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from . import db
from .passwords import hash_password
from .resources import (
    CATALOG,
    OFFERINGS,
    PRAGUE,
    Offering,
    addon_product_doc,
    applied_rate_doc,
    bucket_doc,
    customer_bill_doc,
    customer_party,
    epoch_to_iso,
    href,
    money,
    month_end,
    net_for_gross,
    offering_doc,
    sim_card_doc,
    sim_msisdn,
    sim_product_doc,
    sim_service_doc,
    unbilled_rate_doc,
    vat_of,
)

#: Password of every demo customer (sign in with an MSISDN or the e-mail address).
DEMO_PASSWORD = "Heslo123!"  # noqa: S105 - public demo data, documented

#: MVNO partners: id -> display name.
PARTNERS = {"demo-mobil": "Demo Mobil", "zelena-mobil": "Zelená mobil"}

CUSTOMER_COUNT = 64
HEAVY_USAGE_RECORDS = 22_000
USAGE_DAYS = 91


@dataclass(frozen=True)
class DemoSim:
    """A SIM of a fixed demo customer."""

    msisdn: str
    iccid: str
    tariff: str
    blocked: bool = False


@dataclass(frozen=True)
class DemoCustomer:
    """A fixed demo customer: the same in every generated database."""

    id: str
    name: str
    partner_id: str
    email: str
    sims: tuple[DemoSim, ...]
    role: str
    first: str = field(default="", repr=False)


DEMO_CUSTOMERS: dict[str, DemoCustomer] = {
    c.id: c
    for c in (
        DemoCustomer(
            "cust-0001",
            "Jan Šťastný",
            "demo-mobil",
            "jan.stastny@example.cz",
            (
                DemoSim("420601234567", "8942011000000000011", "tariff-pohoda"),
                DemoSim("420602345678", "8942011000000000029", "tariff-pohoda"),
            ),
            "two SIMs on Pohoda; the product sheet's ordered packages on the first SIM; one overdue bill",
        ),
        DemoCustomer(
            "cust-0002",
            "Petra Nováková",
            "demo-mobil",
            "petra.novakova@example.cz",
            (DemoSim("420603111222", "8942011000000000037", "tariff-datovy"),),
            f"heavy subscriber: {HEAVY_USAGE_RECORDS} usage records in the last 3 months",
        ),
        DemoCustomer(
            "cust-0003",
            "Tomáš Dvořák",
            "zelena-mobil",
            "tomas.dvorak@example.cz",
            (DemoSim("420731222333", "8942011000000000045", "tariff-pohoda"),),
            "customer of the other partner (Zelená mobil)",
        ),
        DemoCustomer(
            "cust-0004",
            "Lucie Černá",
            "demo-mobil",
            "lucie.cerna@example.cz",
            (
                DemoSim("420604555666", "8942011000000000052", "tariff-pohoda", blocked=True),
                DemoSim("420605777888", "8942011000000000060", "tariff-pohoda"),
            ),
            "first SIM blocked (lost/stolen); the second SIM's mobile data is used up",
        ),
        DemoCustomer(
            "cust-0005",
            "Jiří Procházka",
            "demo-mobil",
            "jiri.prochazka@example.cz",
            (
                DemoSim("420776100200", "8942011000000000078", "tariff-start"),
                DemoSim("420776100201", "8942011000000000086", "tariff-start"),
                DemoSim("420776100202", "8942011000000000094", "tariff-start"),
            ),
            "three prepaid SIMs on Start: packages are paid from each SIM's credit; no bills",
        ),
    )
}

HEAVY_CUSTOMER_ID = "cust-0002"
#: Tariffs paid from prepaid credit (no monthly fee, packages charged from the credit).
PREPAID_TARIFFS = ("tariff-start",)

#: The product sheet's "Objednané balíčky" (offering, day of the current month), on cust-0001's first SIM.
SHEET_PACKAGES = (
    ("addon-50sms", 1),
    ("addon-200min", 1),
    ("addon-200min-offpeak", 15),
    ("addon-vikend-onnet", 13),
    ("addon-50sms", 19),
    ("addon-200min", 19),
    ("addon-50min", 19),
)

MALE_FIRST = (
    "Jan",
    "Petr",
    "Tomáš",
    "Jiří",
    "Martin",
    "Lukáš",
    "Ondřej",
    "Jakub",
    "Vojtěch",
    "Miloš",
    "Zdeněk",
)
FEMALE_FIRST = (
    "Petra",
    "Lucie",
    "Jana",
    "Kateřina",
    "Tereza",
    "Eliška",
    "Zuzana",
    "Markéta",
    "Hana",
    "Alžběta",
)
SURNAMES = (  # (male, female)
    ("Novák", "Nováková"),
    ("Svoboda", "Svobodová"),
    ("Dvořák", "Dvořáková"),
    ("Černý", "Černá"),
    ("Procházka", "Procházková"),
    ("Kučera", "Kučerová"),
    ("Veselý", "Veselá"),
    ("Horák", "Horáková"),
    ("Němec", "Němcová"),
    ("Pokorný", "Pokorná"),
    ("Růžička", "Růžičková"),
    ("Šťastný", "Šťastná"),
    ("Křížek", "Křížková"),
    ("Bureš", "Burešová"),
    ("Žák", "Žáková"),
    ("Hájek", "Hájková"),
)
CITIES = (
    ("Praha", "110 00"),
    ("Brno", "602 00"),
    ("Ostrava", "702 00"),
    ("Plzeň", "301 00"),
    ("Olomouc", "779 00"),
    ("České Budějovice", "370 01"),
    ("Hradec Králové", "500 02"),
    ("Ústí nad Labem", "400 01"),
)
STREETS = (
    "Náměstí Míru",
    "Dlouhá",
    "Květná",
    "Žižkova",
    "Husova",
    "Jiráskova",
    "Palackého",
    "Šumavská",
    "Nádražní",
)

VOICE_TEXT = {
    "mobile_cz": "Volání do mobilní sítě v ČR",
    "fixed_cz": "Volání do pevné sítě v ČR",
    "onnet": "Volání v rámci sítě",
    "foreign": "Volání do zahraničí",
}
SMS_TEXT = {
    "mobile_cz": "SMS do mobilní sítě v ČR",
    "onnet": "SMS v rámci sítě",
    "foreign": "SMS do zahraničí",
}
FEE_TEXT = (("Obecný jednorázový poplatek", 5000), ("Jednorázový poplatek za zřízení čísla", 10000))
FOREIGN_PREFIXES = ("49", "43", "421", "48", "44", "39")


def is_prepaid(c: DemoCustomer) -> bool:
    """A customer whose every SIM is on a prepaid tariff: a ``prepaid`` billing account, no bills."""
    return all(OFFERINGS[s.tariff].id in PREPAID_TARIFFS for s in c.sims)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _epoch(day: date, at: time = time(0)) -> int:
    return int(datetime.combine(day, at, tzinfo=PRAGUE).timestamp())


class _Builder:
    """Accumulates rows per table, then writes them in one transaction."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.month_start = today.replace(day=1)
        self.month_end = month_end(today)
        self.rows: dict[str, list[tuple]] = {}
        self.salts: list[tuple[str, bytes]] = []  # (customer id, salt) -> hashed later in parallel
        self.used_msisdns = {s.msisdn for c in DEMO_CUSTOMERS.values() for s in c.sims}
        self.usage_seq = 0

    def add(self, table: str, row: tuple) -> None:
        self.rows.setdefault(table, []).append(row)

    # --- identities -------------------------------------------------------------------
    def random_msisdn(self) -> str:
        while True:
            msisdn = "420" + self.rng.choice("67") + "".join(self.rng.choices("0123456789", k=8))
            if msisdn[3:5] in ("60", "70", "72", "73", "77", "79") and msisdn not in self.used_msisdns:
                self.used_msisdns.add(msisdn)
                return msisdn

    def random_iccid(self) -> str:
        return "894202" + "".join(self.rng.choices("0123456789", k=13))

    def customers(self) -> list[DemoCustomer]:
        """The fixed demo customers followed by random ones up to CUSTOMER_COUNT."""
        result = list(DEMO_CUSTOMERS.values())
        emails = {c.email for c in result}
        for n in range(len(result) + 1, CUSTOMER_COUNT + 1):
            female = self.rng.random() < 0.5
            first = self.rng.choice(FEMALE_FIRST if female else MALE_FIRST)
            last = self.rng.choice(SURNAMES)[1 if female else 0]
            email = f"{_ascii(first)}.{_ascii(last)}@example.cz"
            if email in emails:
                email = f"{_ascii(first)}.{_ascii(last)}{n}@example.cz"
            emails.add(email)
            partner = "zelena-mobil" if self.rng.random() < 0.3 else "demo-mobil"
            tariff = self.rng.choice(("tariff-pohoda", "tariff-pohoda", "tariff-start", "tariff-datovy"))
            sims = tuple(
                DemoSim(self.random_msisdn(), self.random_iccid(), tariff)
                for _ in range(self.rng.choice((1, 1, 2, 3)))
            )
            result.append(DemoCustomer(f"cust-{n:04d}", f"{first} {last}", partner, email, sims, "generated"))
        return result

    # --- one customer -----------------------------------------------------------------
    def customer(self, c: DemoCustomer, index: int) -> None:
        rng = self.rng
        ba_id = "ba-" + c.id.split("-")[1]
        prepaid = is_prepaid(c)
        city, post_code = rng.choice(CITIES)
        street = f"{rng.choice(STREETS)} {rng.randint(1, 250)}"
        phone = "+" + c.sims[0].msisdn
        doc = {
            "id": c.id,
            "href": href("629", "customer", c.id),
            "name": c.name,
            "status": "approved",
            "engagedParty": {"id": "ind-" + c.id[5:], "name": c.name, "@referredType": "Individual"},
            "relatedParty": [
                {
                    "id": c.partner_id,
                    "name": PARTNERS[c.partner_id],
                    "role": "mvno",
                    "@referredType": "Organization",
                }
            ],
            "account": [{"id": ba_id, "name": f"Vyúčtování {c.name}", "@referredType": "BillingAccount"}],
            "contactMedium": [
                {"mediumType": "email", "preferred": True, "characteristic": {"emailAddress": c.email}},
                {"mediumType": "mobile", "characteristic": {"phoneNumber": phone}},
                {
                    "mediumType": "postalAddress",
                    "characteristic": {
                        "street1": street,
                        "city": city,
                        "postCode": post_code,
                        "country": "CZ",
                    },
                },
            ],
            "@type": "Customer",
        }
        self.salts.append((c.id, rng.randbytes(16)))
        self.add("customer", (c.id, c.partner_id, c.email.lower(), "", _dumps(doc)))
        ba = {
            "id": ba_id,
            "href": href("666", "billingAccount", ba_id),
            "name": f"Vyúčtování {c.name}",
            "accountType": "prepaid" if prepaid else "postpaid",
            "state": "active",
            "paymentStatus": "due",
            "relatedParty": [customer_party(c.id, c.name)],
            "@type": "BillingAccount",
        }
        self.add("billing_account", (ba_id, c.id, _dumps(ba)))
        sim_products = [self.sim(c, j, sim, ba_id) for j, sim in enumerate(c.sims, start=1)]
        if not prepaid:  # prepaid customers pay from their credit: they get no monthly bills
            self.bills(c, index, ba_id, sim_products)
        for product in sim_products:
            n = HEAVY_USAGE_RECORDS if c.id == HEAVY_CUSTOMER_ID else rng.randint(40, 140)
            self.usage(c, product, n)
        if c.id == "cust-0001":
            self.sheet_fees(c, sim_products[0])

    def sim(self, c: DemoCustomer, j: int, sim: DemoSim, ba_id: str) -> dict:
        """Product + service + SIM card + buckets (+ add-ons) of one SIM; returns the product body."""
        rng = self.rng
        num = c.id[5:]
        pid, sid, rid = f"prod-{num}-{j}", f"svc-{num}-{j}", f"sim-{num}-{j}"
        tariff = OFFERINGS[sim.tariff]
        start = self.today - timedelta(days=rng.randint(400, 2000))
        product = sim_product_doc(
            pid,
            customer_id=c.id,
            customer_name=c.name,
            tariff=tariff,
            msisdn=sim.msisdn,
            iccid=sim.iccid,
            start=start,
            blocked=sim.blocked,
            service_id=sid,
            resource_id=rid,
            billing_account_id=ba_id,
        )
        self.add(
            "product",
            (pid, c.id, "spec-mobile-line", tariff.id, product["status"], sim.msisdn, None, _dumps(product)),
        )
        settings = {
            "dataEnabled": True,
            "roamingEnabled": rng.random() < 0.4,
            "premiumSmsBarred": rng.random() < 0.3,
            "internationalCallsBarred": False,
            "voicemailEnabled": rng.random() < 0.6,
            "simBlocked": sim.blocked,
        }
        # Roaming zones, decided without a draw from ``rng`` (the rest of the data stays as it
        # was): the EU on for everyone, the rest of the world on for every third customer that roams.
        settings["roamingEuEnabled"] = True
        settings["roamingWorldEnabled"] = settings["roamingEnabled"] and int(num) % 3 == 0
        service = sim_service_doc(
            sid,
            customer_id=c.id,
            customer_name=c.name,
            msisdn=sim.msisdn,
            start=start,
            blocked=sim.blocked,
            settings=settings,
            product_id=pid,
            resource_id=rid,
        )
        self.add("service", (sid, c.id, pid, service["state"], _dumps(service)))
        resource = sim_card_doc(
            rid,
            customer_id=c.id,
            customer_name=c.name,
            msisdn=sim.msisdn,
            iccid=sim.iccid,
            blocked=sim.blocked,
        )
        self.add("resource", (rid, c.id, pid, _dumps(resource)))
        # buckets: prepaid credit and the tariff's allowances, then ordered packages with theirs
        self.sim_buckets(c, j, pid, tariff)
        for k, (offering, day) in enumerate(self.sim_addons(c, j, tariff), start=1):
            self.addon(c.id, product, f"{pid}-a{k}", offering, day, used=rng.uniform(0, 0.9))
        return product

    def sim_buckets(self, c: DemoCustomer, j: int, pid: str, tariff: Offering) -> None:
        """A SIM's prepaid credit bucket (every SIM), then one bucket per allowance of its tariff."""
        rng = self.rng
        num = c.id[5:]
        credit = rng.randint(50, 600) if tariff.id == "tariff-start" else rng.randint(0, 200)
        self.bucket(
            c.id,
            f"bkt-{num}-{j}-credit",
            "monetary",
            [pid],
            credit,
            max(0.0, round(credit - rng.random(), 2)),
        )
        for k, (kind, amount) in enumerate(tariff.grants):
            left = int(amount * rng.uniform(0.05, 1.0))
            if c.id == "cust-0004" and j == 2 and kind == "data":
                left = 0  # a demo customer whose data allowance is used up (the overview's hint)
            self.bucket(
                c.id,
                f"bkt-{num}-{j}-t{k}",
                kind,
                [pid],
                amount,
                left,
                f"{tariff.name} – " + {"voice": "volání", "sms": "SMS", "data": "data"}[kind],
                unlimited=kind in tariff.unlimited,
            )

    def sim_addons(self, c: DemoCustomer, j: int, tariff: Offering) -> list[tuple[Offering, date]]:
        """The add-on packages ordered this month on a SIM: (offering, order day).

        cust-0001's first SIM gets the product sheet's packages; other SIMs up to two random
        packages orderable for their tariff.
        """
        rng = self.rng
        if c.id == "cust-0001" and j == 1:
            return [
                (OFFERINGS[o], min(self.month_start + timedelta(days=d - 1), self.today))
                for o, d in SHEET_PACKAGES
            ]
        allowed = [
            o
            for o in CATALOG
            if o.category == "addon" and o.lifecycle == "Launched" and tariff.id in o.allowed_for
        ]
        return [
            (rng.choice(allowed), self.month_start + timedelta(days=rng.randint(0, self.today.day - 1)))
            for _ in range(rng.choice((0, 0, 1, 2)))
        ]

    def addon(
        self,
        customer_id: str,
        sim_product: dict,
        product_id: str,
        offering: Offering,
        start: date,
        used: float,
    ) -> None:
        doc = addon_product_doc(product_id, customer_id, sim_product, offering, start)
        self.add(
            "product",
            (
                product_id,
                customer_id,
                "spec-addon",
                offering.id,
                "active",
                sim_msisdn(sim_product),  # the add-on's msisdn characteristic is its SIM's
                sim_product["id"],
                _dumps(doc),
            ),
        )
        for k, (kind, amount) in enumerate(offering.grants):
            self.bucket(
                customer_id,
                f"bkt-{product_id[5:]}-{k}",
                kind,
                [sim_product["id"], product_id],
                amount,
                int(amount * (1 - used)),
                offering.name,
                unlimited=kind in offering.unlimited,
            )

    def bucket(
        self,
        customer_id: str,
        bid: str,
        kind: str,
        products: list[str],
        initial,
        remaining,
        name: str | None = None,
        unlimited: bool = False,
    ) -> None:
        doc = bucket_doc(
            bid, kind, products, initial, remaining, self.month_start, self.month_end, name, unlimited
        )
        package = products[1] if len(products) > 1 else None
        self.add("bucket", (bid, customer_id, products[0], package, kind, _dumps(doc)))

    # --- bills ------------------------------------------------------------------------
    def bills(self, c: DemoCustomer, index: int, ba_id: str, sims: list[dict]) -> None:
        """Twelve monthly bills; lines carry per-line VAT and the bill totals are their sums."""
        period_start = self.month_start
        months = []
        for _ in range(12):
            period_start = (period_start - timedelta(days=1)).replace(day=1)
            months.append(period_start)
        months.reverse()
        numbers = {sim["id"]: sim_msisdn(sim) for sim in sims}
        for k, start in enumerate(months):
            end = month_end(start)
            bill_day = end + timedelta(days=1)
            bill_id = f"bill-{c.id[5:]}-{start:%Y%m}"
            total_net = total_vat = 0
            for seq, (name, kind, net, product_id) in enumerate(self.bill_lines(sims), start=1):
                rate_id = f"acbr-{bill_id[5:]}-{seq}"
                rate = applied_rate_doc(
                    rate_id,
                    bill_id=bill_id,
                    billing_account_id=ba_id,
                    product_id=product_id,
                    name=name,
                    kind=kind,
                    net=net,
                    bill_date=bill_day,
                    period_start=start,
                    period_end=end,
                    msisdn=numbers[product_id],
                )
                self.add("applied_rate", (rate_id, bill_id, seq, _dumps(rate)))
                total_net += net
                total_vat += vat_of(net)
            unpaid = k == 11 or (k == 10 and index % 3 == 1)  # cust-0001 has an overdue bill
            bill = customer_bill_doc(
                bill_id,
                bill_no=f"{start:%Y%m}{int(c.id[5:]):04d}",
                billing_account_id=ba_id,
                customer_id=c.id,
                customer_name=c.name,
                period_start=start,
                period_end=end,
                bill_date=bill_day,
                due_date=bill_day + timedelta(days=14),
                net=total_net,
                vat=total_vat,
                unpaid=unpaid,
            )
            self.add("customer_bill", (bill_id, ba_id, _epoch(bill_day), bill["state"], _dumps(bill)))

    def bill_lines(self, sims: list[dict]) -> list[tuple[str, str, int, str]]:
        """One month's bill lines: (name, type, net hellers, product id).

        Per SIM: its monthly fee, some packages, maybe usage over the tariff and a one-off fee
        (only postpaid customers get bills, and their tariffs always have a monthly fee).
        """
        rng = self.rng
        lines: list[tuple[str, str, int, str]] = []
        for sim in sims:
            tariff = OFFERINGS[sim["productOffering"]["id"]]
            if tariff.price:
                lines.append(
                    (f"Měsíční paušál {tariff.name}", "recurring", net_for_gross(tariff.price), sim["id"])
                )
            allowed = [o for o in CATALOG if o.category == "addon" and tariff.id in o.allowed_for]
            for _ in range(rng.choice((0, 1, 1, 2))):
                o = rng.choice(allowed)
                lines.append((o.name, "package", net_for_gross(o.price), sim["id"]))
            if rng.random() < 0.5:
                lines.append(("Volání a SMS nad rámec tarifu", "usage", rng.randint(500, 25000), sim["id"]))
            if rng.random() < 0.1:
                name, gross = rng.choice(FEE_TEXT)
                lines.append((name, "oneTime", net_for_gross(gross), sim["id"]))
        return lines

    def unbilled(self) -> None:
        """The running month's charges of postpaid SIMs, not yet billed (the current spend).

        Per SIM with a monthly fee: the month's fee, each package ordered this month and the
        month's charged usage so far - derived from the rows already built (no random draws, so
        adding them changes no other data).
        """
        products = {row[0]: json.loads(row[7]) for row in self.rows.get("product", [])}
        start = _epoch(self.month_start)
        charged: dict[str, int] = {}
        for row in self.rows.get("usage", []):
            if row[3] >= start and row[9] > 0:
                charged[row[2]] = charged.get(row[2], 0) + row[9]
        seq: dict[str, int] = {}

        def add(sim: dict, name: str, kind: str, net: int, day: date) -> None:
            seq[sim["id"]] = seq.get(sim["id"], 0) + 1
            rate_id = f"acbr-u-{sim['id'][5:]}-{seq[sim['id']]}"
            doc = unbilled_rate_doc(
                rate_id,
                billing_account_id=sim["billingAccount"]["id"],
                product_id=sim["id"],
                name=name,
                kind=kind,
                net=net,
                day=day,
                period_start=self.month_start,
                period_end=self.month_end,
            )
            self.add("applied_rate", (rate_id, "", seq[sim["id"]], _dumps(doc)))

        for row in self.rows.get("product", []):
            doc = products[row[0]]
            if row[2] == "spec-mobile-line":
                tariff = OFFERINGS[row[3]]
                if tariff.price:
                    add(
                        doc,
                        f"Měsíční paušál {tariff.name}",
                        "recurring",
                        net_for_gross(tariff.price),
                        self.today,
                    )
                    if charged.get(row[0]):
                        add(
                            doc,
                            "Volání a SMS nad rámec tarifu",
                            "usage",
                            net_for_gross(charged[row[0]]),
                            self.today,
                        )
            elif row[2] == "spec-addon":
                sim = products[row[6]]
                day = date.fromisoformat(doc["startDate"][:10])
                if OFFERINGS[sim["productOffering"]["id"]].price and day >= self.month_start:
                    offering = OFFERINGS[row[3]]
                    add(sim, offering.name, "package", net_for_gross(offering.price), day)

    # --- usage ------------------------------------------------------------------------
    def usage(self, c: DemoCustomer, product: dict, n: int) -> None:
        """``n`` rated usage records spread over the last USAGE_DAYS days (up to midnight today)."""
        rng = self.rng
        t0 = _epoch(self.today - timedelta(days=USAGE_DAYS))
        t1 = _epoch(self.today)
        for _ in range(n):
            r = rng.random()
            kind = "voice" if r < 0.45 else "sms" if r < 0.7 else "data" if r < 0.97 else "fee"
            self.usage_record(c, product["id"], rng.randint(t0, t1 - 1), kind)

    def usage_record(
        self,
        c: DemoCustomer,
        product_id: str,
        ts: int,
        kind: str,
        fee: tuple[str, int] | None = None,
        number: str | None = None,
        network: str | None = None,
    ) -> None:
        rng = self.rng
        duration = count = volume = charged = 0
        if kind == "voice":
            network = rng.choices(("mobile_cz", "fixed_cz", "onnet", "foreign"), (50, 15, 25, 10))[0]
            duration = int(rng.expovariate(1 / 150)) + 1
            minutes = -(-duration // 60)
            charged = minutes * 1490 if network == "foreign" else (minutes * 250 if rng.random() < 0.2 else 0)
            text = VOICE_TEXT[network]
        elif kind == "sms":
            network = rng.choices(("mobile_cz", "onnet", "foreign"), (60, 30, 10))[0]
            count = 1 if rng.random() < 0.85 else 2
            charged = count * 390 if network == "foreign" else (count * 150 if rng.random() < 0.2 else 0)
            text = SMS_TEXT[network]
        elif kind == "data":
            network, text = "internet", "Datový přenos"
            volume = rng.randint(10_000, 200_000_000)
        else:
            text, charged = fee or rng.choice(FEE_TEXT)
            network, count = network or "none", 1
        if number is None:
            number = self.b_number(network) if kind in ("voice", "sms") else ""
        self.usage_seq += 1
        uid = f"usg-{self.usage_seq:07d}"
        chars: list[dict[str, object]] = [
            {"name": "destinationNumber", "valueType": "string", "value": number},
            {"name": "destinationNetwork", "valueType": "string", "value": network},
        ]
        if kind == "voice":
            chars.append({"name": "duration", "valueType": "integer", "value": duration})
        elif kind == "data":
            chars.append({"name": "volume", "valueType": "integer", "value": volume})
        else:
            chars.append({"name": "count", "valueType": "integer", "value": count})
        doc = {
            "id": uid,
            "href": href("635", "usage", uid),
            "description": text,
            "usageDate": epoch_to_iso(ts),
            "usageType": kind,
            "status": "rated",
            "relatedParty": [{"id": c.id, "role": "customer", "@referredType": "Customer"}],
            "ratedProductUsage": [
                {
                    "productRef": {"id": product_id},
                    "isBilled": False,
                    "taxIncludedRatingAmount": money(charged),
                }
            ],
            "usageCharacteristic": chars,
            "@type": "Usage",
        }
        self.add(
            "usage", (uid, c.id, product_id, ts, kind, number, duration, count, volume, charged, _dumps(doc))
        )

    def b_number(self, network: str) -> str:
        rng = self.rng
        digits = "0123456789"
        if network == "mobile_cz":
            return rng.choice(("602", "603", "604", "720", "731", "737", "777", "792")) + "".join(
                rng.choices(digits, k=6)
            )
        if network == "fixed_cz":
            return rng.choice("2345") + "".join(rng.choices(digits, k=8))
        if network == "onnet":
            return rng.choice(("601", "605", "776")) + "".join(rng.choices(digits, k=6))
        return rng.choice(FOREIGN_PREFIXES) + "".join(rng.choices(digits, k=10))

    def sheet_fees(self, c: DemoCustomer, product: dict) -> None:
        """The two call-log lines of the product sheet, on the 1st of the month."""
        day = (
            self.month_start if self.today.day > 1 else (self.month_start - timedelta(days=1)).replace(day=1)
        )
        self.usage_record(
            c, product["id"], _epoch(day, time(1, 13)), "fee", FEE_TEXT[0], "602777888", "fixed_cz"
        )
        self.usage_record(
            c, product["id"], _epoch(day, time(1, 52)), "fee", FEE_TEXT[1], "999111222", "mobile_cz"
        )


INSERTS = {
    "customer": "INSERT INTO customer VALUES (?,?,?,?,?)",
    "billing_account": "INSERT INTO billing_account VALUES (?,?,?)",
    "product": "INSERT INTO product VALUES (?,?,?,?,?,?,?,?)",
    "service": "INSERT INTO service VALUES (?,?,?,?,?)",
    "resource": "INSERT INTO resource VALUES (?,?,?,?)",
    "bucket": "INSERT INTO bucket VALUES (?,?,?,?,?,?)",
    "customer_bill": "INSERT INTO customer_bill VALUES (?,?,?,?,?)",
    "applied_rate": "INSERT INTO applied_rate VALUES (?,?,?,?)",
    "usage": "INSERT INTO usage VALUES (?,?,?,?,?,?,?,?,?,?,?)",
}


def generate(path: str | Path, seed: int = 42, today: date | None = None) -> Path:
    """Write a fresh sandbox database at ``path`` (replacing any file there); returns the path.

    Everything is derived from ``random.Random(seed)`` and ``today`` (default: the current
    date), so two calls with the same arguments write the same data.
    """
    path = Path(path)
    today = today or date.today()
    builder = _Builder(random.Random(seed), today)
    for index, customer in enumerate(builder.customers(), start=1):
        builder.customer(customer, index)
    builder.unbilled()
    # PBKDF2 is deliberately slow; hashlib releases the GIL, so hash the salts in parallel
    with ThreadPoolExecutor(max_workers=4) as pool:
        hashes = dict(
            zip(
                [cid for cid, _ in builder.salts],
                pool.map(lambda item: hash_password(DEMO_PASSWORD, item[1]), builder.salts),
                strict=True,
            )
        )

    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = db.connect(path)
    try:
        db.create_schema(conn)
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO partner VALUES (?,?)", list(PARTNERS.items()))
        builder.rows["customer"] = [(r[0], r[1], r[2], hashes[r[0]], r[4]) for r in builder.rows["customer"]]
        for table, sql in INSERTS.items():
            conn.executemany(sql, builder.rows.get(table, []))
        conn.executemany(
            "INSERT INTO product_offering VALUES (?,?,?,?)",
            [(o.id, o.category, o.lifecycle, _dumps(offering_doc(o))) for o in CATALOG],
        )
        conn.executemany(
            "INSERT INTO offering_relationship VALUES (?,?)",
            # add-ons -> the tariffs they are for; tariffs -> the tariffs a line may change from
            [(o.id, t) for o in CATALOG for t in o.allowed_for + o.change_from],
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return path


def all_customers(seed: int = 42, today: date | None = None) -> list[DemoCustomer]:
    """The customers ``generate`` would write (without writing anything); used for docs."""
    return _Builder(random.Random(seed), today or date.today()).customers()


def demo_data_markdown() -> str:
    """docs/demo-data.md, generated from the constants above so it cannot drift from the seed.

    Regenerate with ``python -m selfcare_widget.sandbox.seed > docs/demo-data.md``.
    """
    lines = [
        "# Sandbox demo data",
        "",
        "Generated by `python -m selfcare_widget.sandbox.seed > docs/demo-data.md` from",
        "`selfcare_widget/sandbox/seed.py` (`DEMO_CUSTOMERS`, `DEMO_PASSWORD`, `PARTNERS`). The fixed",
        "customers below are the same for every seed; the others (up to "
        f"`cust-{CUSTOMER_COUNT:04d}`) are random but deterministic per seed (default 42).",
        "All dates are relative to the day the database is generated.",
        "",
        "## Sign-in",
        "",
        f"Every customer's password is **`{DEMO_PASSWORD}`**. Log in with an MSISDN (`420601234567`,",
        "`+420 601 234 567` or `601234567`) or the e-mail address, always together with the partner id",
        "(`POST /selfcare/v1/authenticate`).",
        "",
        "## Partners",
        "",
        "| partner id | name |",
        "|---|---|",
        *[f"| `{pid}` | {name} |" for pid, name in PARTNERS.items()],
        "",
        "## Demo customers",
        "",
        "| customer | name | partner | e-mail login | SIMs (MSISDN, tariff) | what it shows |",
        "|---|---|---|---|---|---|",
    ]
    for c in DEMO_CUSTOMERS.values():
        sims = "<br>".join(
            f"`{s.msisdn}` {OFFERINGS[s.tariff].name}{' (blocked)' if s.blocked else ''}" for s in c.sims
        )
        lines.append(f"| `{c.id}` | {c.name} | `{c.partner_id}` | `{c.email}` | {sims} | {c.role} |")
    lines += [
        "",
        "Resource ids follow the customer number: billing account `ba-0001`, SIM products",
        "`prod-0001-1`, `prod-0001-2`, services `svc-0001-1`, SIM cards `sim-0001-1`, add-ons",
        "`prod-0001-1-a1`…, bills `bill-0001-YYYYMM`.",
        "",
        "## Catalogue",
        "",
        "Add-ons are orderable for the tariffs listed; a line may change to a tariff from the tariffs",
        "listed (TMF620 `changeFrom`), at once or from the next billing period (the 1st of next month).",
        "",
        "| offering id | name | category | price | orderable for / change from | status |",
        "|---|---|---|---|---|---|",
    ]
    for o in CATALOG:
        price = f"{o.price // 100},{o.price % 100:02d} Kč" + ("/měsíc" if o.category == "tariff" else "")
        allowed = ", ".join(f"`{t}`" for t in o.allowed_for + o.change_from) or "–"
        if o.category == "tariff":
            allowed += " (" + ("at once" if o.change_effective == "immediate" else "next period") + ")"
        lines.append(f"| `{o.id}` | {o.name} | {o.category} | {price} | {allowed} | {o.lifecycle} |")
    lines += [
        "",
        "## What else is generated",
        "",
        "- Every SIM: a `spec-mobile-line` product, a TMF638 service with its settings (roaming: the",
        "  master switch `roamingEnabled`, zones `roamingEuEnabled` on for all and `roamingWorldEnabled`",
        "  for every third roaming customer, `roamingDataLimit` 1500 Kč), a SimCard resource (plastic,",
        "  with `pin1`/`puk1` derived from its ICCID),",
        "  a prepaid credit bucket (CZK) and unit buckets of its tariff and ordered packages (valid to the",
        "  end of the current month).",
        "- Customers whose SIMs are all on a prepaid tariff (Start) have a `prepaid` billing account and",
        "  no bills: add-on packages are charged from the SIM's credit when the order completes",
        "  (`POST /productOrder` is refused with 422 when the credit is lower than the price).",
        "- Twelve monthly bills per postpaid billing account with lines (monthly fee, packages, usage",
        "  over the tariff, one-off fees), each line naming its SIM product and number (`msisdn`",
        "  characteristic), 21 % VAT per line rounded half-up to 0.01 Kč, totals = sum of lines;",
        "  older bills `settled`, the newest `sent`; every third customer (incl. `cust-0001`) also has",
        "  the previous one unpaid (overdue).",
        f"- Usage of the last {USAGE_DAYS} days: 40–140 records per SIM (voice to mobile/fixed/on-net/",
        f"  foreign numbers, SMS, data, fees); `{HEAVY_CUSTOMER_ID}` has {HEAVY_USAGE_RECORDS} records.",
        "  `cust-0001` also has the product sheet's two fee lines on the 1st of the month.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(demo_data_markdown())
