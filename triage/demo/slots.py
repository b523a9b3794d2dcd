"""Slot values for the text templates: customers, products, references, money and dates."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from random import Random
from typing import Any, TypeVar

T = TypeVar("T")

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SYMBOL = {"EUR": "€", "GBP": "£", "USD": "$"}
_RATE = {"EUR": 1.0, "GBP": 0.87, "USD": 1.08}
_REF_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass
class Draft:
    """One generated output before it gets an id, a time and a model."""

    input: str
    output: str
    meta: dict[str, Any]
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    transcript: list[dict[str, str]] = field(default_factory=list)
    fail: str | None = None
    """The failure mode seeded into this output, if any."""
    note: str = ""
    """What a reviewer who catches the failure (or escalates) writes."""
    novel: bool = False
    escalate: bool = False
    """A reviewer would hand this one on rather than judge it."""
    relies_on: int = -1
    """Index of the tool call whose success the output states (for seeded tool errors)."""
    seeded: bool = False
    """Placed on purpose rather than rolled: a reviewer reads it on any earlier day, so
    the week always shows its verdict."""


@dataclass(frozen=True)
class Customer:
    first: str
    last: str
    lang: str
    currency: str
    tier: str
    card: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def email(self) -> str:
        """``first.last@example.com`` in plain ASCII, as mail providers hand them out."""
        last = self.last.lower().replace(" ", "").replace("'", "")
        return f"{_ascii(self.first.lower())}.{_ascii(last)}@example.com"


_FOLD = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l"})


def _ascii(name: str) -> str:
    """``garcía`` as ``garcia``, ``sørensen`` as ``sorensen``."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_FOLD))
    return decomposed.encode("ascii", "ignore").decode("ascii")


@dataclass(frozen=True)
class Product:
    name: str
    price: float
    """Price in euros; other currencies are converted."""
    kind: str
    sku: str


# (first, last, language, currency)
_PEOPLE: tuple[tuple[str, str, str, str], ...] = (
    ("Emma", "Clarke", "en", "GBP"),
    ("Jonas", "Weber", "de", "EUR"),
    ("Sofia", "Rossi", "it", "EUR"),
    ("Aoife", "Byrne", "en", "EUR"),
    ("Lucas", "Martin", "fr", "EUR"),
    ("Priya", "Shah", "en", "GBP"),
    ("Oliver", "Bennett", "en", "GBP"),
    ("Hannah", "Schmidt", "de", "EUR"),
    ("Mateo", "García", "es", "EUR"),
    ("Freya", "Nilsson", "sv", "EUR"),
    ("Chloé", "Dubois", "fr", "EUR"),
    ("Daniel", "Kowalski", "pl", "EUR"),
    ("Amara", "Okafor", "en", "GBP"),
    ("Lena", "Fischer", "de", "EUR"),
    ("Isla", "Murray", "en", "GBP"),
    ("Noah", "de Vries", "nl", "EUR"),
    ("Sanne", "Jansen", "nl", "EUR"),
    ("Mads", "Kristensen", "da", "EUR"),
    ("Ida", "Sørensen", "da", "EUR"),
    ("Grace", "Miller", "en", "USD"),
    ("Ethan", "Brooks", "en", "USD"),
    ("Tom", "Hughes", "en", "GBP"),
    ("Fatima", "Haddad", "en", "GBP"),
    ("Marta", "Nowak", "pl", "EUR"),
    ("Elias", "Berg", "sv", "EUR"),
    ("Julia", "Wagner", "de", "EUR"),
    ("Ruth", "O'Neill", "en", "EUR"),
    ("Ben", "Carter", "en", "GBP"),
    ("Camille", "Laurent", "fr", "EUR"),
    ("Astrid", "Holm", "da", "EUR"),
)

_PRODUCTS: tuple[Product, ...] = (
    Product("Linnea oak side table", 189.0, "furniture", "LIN-ST-OAK"),
    Product("Halden linen duvet cover", 119.0, "textile", "HAL-DC-LIN"),
    Product("Sora stoneware dinner set (12 pc)", 145.0, "tableware", "SOR-DS-12"),
    Product("Fjord wool throw", 89.0, "textile", "FJO-TH-WOL"),
    Product("Marlow rattan pendant lamp", 129.0, "lighting", "MAR-PL-RAT"),
    Product("Ines ceramic vase", 42.0, "decor", "INE-VS-CER"),
    Product("Brae walnut serving board", 58.0, "tableware", "BRA-SB-WAL"),
    Product("Alba bouclé armchair", 649.0, "furniture", "ALB-AC-BOU"),
    Product("Kasa glass carafe", 29.0, "tableware", "KAS-CF-GLA"),
    Product("Tove cotton bath towels (set of 4)", 64.0, "textile", "TOV-BT-4"),
    Product("Orla brass candle holders", 36.0, "decor", "ORL-CH-BRA"),
    Product("Vale jute rug 160×230", 239.0, "textile", "VAL-RG-160"),
    Product("Nook pine bookshelf", 279.0, "furniture", "NOO-BS-PIN"),
    Product("Sten marble coasters (set of 4)", 24.0, "decor", "STE-CO-MAR"),
    Product("Mira linen curtains", 159.0, "textile", "MIR-CU-LIN"),
    Product("Edda oak dining table", 1240.0, "furniture", "EDD-DT-OAK"),
    Product("Ulla wool cushion cover", 39.0, "textile", "ULL-CC-WOL"),
    Product("Runa enamel casserole", 75.0, "tableware", "RUN-CS-ENA"),
    Product("Koti lounge chair", 890.0, "furniture", "KOT-LC-ASH"),
    Product("Asp bedside lamp", 98.0, "lighting", "ASP-BL-BRA"),
)

COLOURS = ("natural oak", "smoked oak", "sage", "oat", "charcoal", "terracotta", "sand", "ink")
CARRIERS = ("DHL", "DPD", "PostNord", "Royal Mail", "UPS", "GLS")
HUBS = ("Hamburg", "Daventry", "Utrecht", "Copenhagen", "Leipzig", "Rotterdam")
ADDRESSES = (
    "14 Elm Row, Edinburgh EH7 4AA",
    "Prinsengracht 263-2, 1016 GV Amsterdam",
    "Jægersborggade 41, 2200 København N",
    "Kastanienallee 12, 10435 Berlin",
    "27 Mill Lane, Bristol BS3 4JX",
    "Rue Oberkampf 88, 75011 Paris",
    "5 Harcourt Terrace, Dublin D02 XT62",
    "Södermannagatan 19, 116 23 Stockholm",
)
FRIENDS = ("Anna", "Mark", "Kasia", "Ravi", "Leonie", "Sam", "Joe", "Mia", "Niamh", "Theo")
PART = {
    "furniture": ("cracked leg", "deep scratch across the top", "split corner joint"),
    "textile": ("tear along the seam", "bleach mark on one side", "pulled thread"),
    "tableware": ("chipped rim on two plates", "crack in the lid", "broken handle"),
    "lighting": ("dented shade", "loose fitting that rattles", "cracked glass diffuser"),
    "decor": ("broken base", "chip on the rim", "scratched finish"),
}


class Pick:
    """Random slot values for one output, all drawn from one seeded ``Random``."""

    def __init__(self, rng: Random, day: date, agent: str) -> None:
        self.rng = rng
        self.day = day
        self.agent = agent
        # ``random()`` is several times cheaper than ``randrange``/``choice``, and the
        # benchmark generator builds thousands of outputs before its first record.
        self._random = rng.random

    def one(self, seq: Sequence[T]) -> T:
        return seq[int(self._random() * len(seq))]

    def chance(self, p: float) -> bool:
        return self._random() < p

    def between(self, lo: int, hi: int) -> int:
        """A whole number from ``lo`` to ``hi``, both included."""
        return lo + int(self._random() * (hi - lo + 1))

    def customer(self, *, vip: float = 0.08, currency: str | None = None) -> Customer:
        first, last, lang, cur = self.one(_PEOPLE)
        tier = "vip" if self.chance(vip) else "standard"
        card = f"{self.between(0, 9999):04d}"
        return Customer(first, last, lang, currency or cur, tier, card)

    def product(self, *kinds: str, cheap: bool | None = None) -> Product:
        pool = [p for p in _PRODUCTS if not kinds or p.kind in kinds]
        if cheap is not None:
            narrowed = [p for p in pool if (p.price < 150) == cheap]
            pool = narrowed or pool
        return self.one(pool)

    def price(self, product: Product, currency: str) -> float:
        return convert(product.price, currency)

    def order(self) -> str:
        return f"LL-{self.between(40000, 69999)}"

    def booking(self) -> str:
        return "BK-" + self.token(5, _REF_CHARS)

    def invoice(self) -> str:
        return f"INV-2026-{self.between(300, 1900):04d}"

    def token(self, n: int, alphabet: str = "abcdefghijklmnopqrstuvwxyz0123456789") -> str:
        size, rand = len(alphabet), self._random
        return "".join([alphabet[int(rand() * size)] for _ in range(n)])

    def card_number(self, last4: str) -> str:
        """A 16-digit Visa-shaped number ending in ``last4`` that passes the Luhn check,
        grouped in fours as a payment lookup shows it."""
        head = "4" + "".join(str(self.between(0, 9)) for _ in range(10))
        for fix in "0123456789":
            digits = head + fix + last4
            if _luhn(digits):
                break
        return " ".join(digits[i : i + 4] for i in range(0, 16, 4))

    def near_miss(self, ref: str) -> str:
        """``ref`` with two adjacent digits swapped: the kind of slip that reads as right."""
        chars = list(ref)
        spots = [
            i
            for i in range(len(chars) - 1)
            if chars[i].isdigit() and chars[i + 1].isdigit() and chars[i] != chars[i + 1]
        ]
        if not spots:
            return ref[:-1] + ("7" if ref[-1] != "7" else "4")
        i = self.one(spots)
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
        return "".join(chars)

    def ahead(self, lo: int, hi: int) -> date:
        """A day ``lo``..``hi`` days after today, never a Sunday."""
        d = self.day + timedelta(days=self.between(lo, hi))
        return d + timedelta(days=1) if d.weekday() == 6 else d

    def ago(self, lo: int, hi: int) -> date:
        return self.day - timedelta(days=self.between(lo, hi))


def convert(euros: float, currency: str) -> float:
    """A euro price in ``currency``, rounded the way a shop prices it."""
    value = euros * _RATE[currency]
    return float(round(value)) if value >= 20 else round(value, 2)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def money(amount: float, currency: str) -> str:
    """``€1,240.00``, ``£34.50``, ``$12.00``."""
    return f"{_SYMBOL[currency]}{amount:,.2f}"


def dmy(d: date) -> str:
    """``Thu 19 Nov``, independent of the machine's locale."""
    return f"{_WEEKDAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]}"


def weekday(d: date) -> str:
    return ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[
        d.weekday()
    ]


def tool(
    name: str, arguments: dict[str, Any], result: Any, *, error: bool = False
) -> dict[str, Any]:
    """One tool call in the native record shape."""
    return {"name": name, "arguments": arguments, "result": result, "is_error": error}


def greet(first: str, body: str, channel: str) -> str:
    """A reply as sent on ``channel``: e-mails get a greeting and a sign-off, chats don't."""
    if channel == "email":
        return f"Hi {first},\n\n{body}\n\nBest wishes,\nLinden & Loom customer care"
    return body
