"""Payloads for the catalogue: the UTF-8 test sequences of group 6 and the deflate data of 12/13.

The UTF-8 sequences follow the sections of Markus Kuhn's UTF-8 decoder stress test, in the order
the Autobahn|Testsuite numbers them (6.5 onwards).  The deflate payloads are generated, not
shipped: deterministic stand-ins of the same kinds and sizes as the files Autobahn uses (a JSON
document, a greyscale bitmap, German prose, an HTML page, a PDF), so compression ratios are of
the same order but not identical to Autobahn's.
"""

from __future__ import annotations

import functools
import json
import random
import zlib

_KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"  # "κόσμε" (U+1F79 for the omicron)


def _valid(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def utf8_sequences() -> list[tuple[str, list[tuple[bool, bytes]]]]:
    """(section title, [(valid, payload), ...]) for cases 6.5.x ... 6.23.x."""
    out: list[tuple[str, list[tuple[bool, bytes]]]] = []
    v = [
        b"hello\x24world",
        b"hello\xc2\xa2world",
        b"hello\xe2\x82\xacworld",
        b"hello\xf0\xa4\xad\xa2world",
        _KOSME,
    ]
    out.append(("Some valid UTF-8 sequences", [(True, s) for s in v]))
    out.append(
        (
            "All prefixes of a valid UTF-8 string that contains multi-byte code points",
            [(_valid(_KOSME[:i]), _KOSME[:i]) for i in range(1, len(_KOSME) + 1)],
        )
    )
    out.append(
        (
            "First possible sequence of a certain length",
            [(True, s) for s in (b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80")],
        )
    )
    out.append(
        (
            "First possible sequence length 5/6 (invalid codepoints)",
            [(False, b"\xf8\x88\x80\x80\x80"), (False, b"\xfc\x84\x80\x80\x80\x80")],
        )
    )
    out.append(
        (
            "Last possible sequence of a certain length",
            [(True, s) for s in (b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf")],
        )
    )
    out.append(
        (
            "Last possible sequence length 4/5/6 (invalid codepoints)",
            [
                (False, s)
                for s in (b"\xf7\xbf\xbf\xbf", b"\xfb\xbf\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf\xbf")
            ],
        )
    )
    out.append(
        (
            "Other boundary conditions",
            [
                (True, b"\xed\x9f\xbf"),
                (True, b"\xee\x80\x80"),
                (True, b"\xef\xbf\xbd"),
                (True, b"\xf4\x8f\xbf\xbf"),
                (False, b"\xf4\x90\x80\x80"),
            ],
        )
    )
    cont = [
        b"\x80",
        b"\xbf",
        b"\x80\xbf",
        b"\x80\xbf\x80",
        b"\x80\xbf\x80\xbf",
        b"\x80\xbf\x80\xbf\x80",
        b"\x80\xbf\x80\xbf\x80\xbf",
        bytes(range(0x80, 0xBF)),
    ]
    out.append(("Unexpected continuation bytes", [(False, s) for s in cont]))
    lonely = [
        b"".join(bytes((i, 0x20)) for i in range(lo, hi))
        for lo, hi in ((0xC0, 0xDF), (0xE0, 0xEF), (0xF0, 0xF7), (0xF8, 0xFB), (0xFC, 0xFD))
    ]
    out.append(("Lonely start characters", [(False, s) for s in lonely]))
    missing = [
        b"\xc0",
        b"\xe0\x80",
        b"\xf0\x80\x80",
        b"\xf8\x80\x80\x80",
        b"\xfc\x80\x80\x80\x80",
        b"\xdf",
        b"\xef\xbf",
        b"\xf7\xbf\xbf",
        b"\xfb\xbf\xbf\xbf",
        b"\xfd\xbf\xbf\xbf\xbf",
    ]
    out.append(("Sequences with last continuation byte missing", [(False, s) for s in missing]))
    out.append(("Concatenation of incomplete sequences", [(False, b"".join(missing))]))
    out.append(("Impossible bytes", [(False, s) for s in (b"\xfe", b"\xff", b"\xfe\xfe\xff\xff")]))
    out.append(
        (
            "Examples of an overlong ASCII character",
            [
                (False, s)
                for s in (
                    b"\xc0\xaf",
                    b"\xe0\x80\xaf",
                    b"\xf0\x80\x80\xaf",
                    b"\xf8\x80\x80\x80\xaf",
                    b"\xfc\x80\x80\x80\x80\xaf",
                )
            ],
        )
    )
    out.append(
        (
            "Maximum overlong sequences",
            [
                (False, s)
                for s in (
                    b"\xc1\xbf",
                    b"\xe0\x9f\xbf",
                    b"\xf0\x8f\xbf\xbf",
                    b"\xf8\x87\xbf\xbf\xbf",
                    b"\xfc\x83\xbf\xbf\xbf\xbf",
                )
            ],
        )
    )
    out.append(
        (
            "Overlong representation of the NUL character",
            [
                (False, s)
                for s in (
                    b"\xc0\x80",
                    b"\xe0\x80\x80",
                    b"\xf0\x80\x80\x80",
                    b"\xf8\x80\x80\x80\x80",
                    b"\xfc\x80\x80\x80\x80\x80",
                )
            ],
        )
    )
    single = [
        b"\xed\xa0\x80",
        b"\xed\xad\xbf",
        b"\xed\xae\x80",
        b"\xed\xaf\xbf",
        b"\xed\xb0\x80",
        b"\xed\xbe\x80",
        b"\xed\xbf\xbf",
    ]
    out.append(("Single UTF-16 surrogates", [(False, s) for s in single]))
    paired = [hi + lo for hi in single[:4] for lo in (b"\xed\xb0\x80", b"\xed\xbf\xbf")]
    out.append(("Paired UTF-16 surrogates", [(False, s) for s in paired]))
    nonchar = [b"\xef\xbf\xbe", b"\xef\xbf\xbf"]
    for z1 in (0xF0, 0xF1, 0xF2, 0xF3, 0xF4):
        for z2 in (0x8F, 0x9F, 0xAF, 0xBF):
            if z1 == 0xF4 and z2 != 0x8F:
                continue  # past U+10FFFF
            for z3 in (0xBE, 0xBF):
                seq = bytes((z1, z2, 0xBF, z3))
                if seq not in (b"\xf0\x8f\xbf\xbe", b"\xf0\x8f\xbf\xbf"):  # overlong
                    nonchar.append(seq)
    out.append(("Non-character code points (valid UTF-8)", [(True, s) for s in nonchar]))
    specials = [bytes((0xEF, 0xBF, b)) for b in range(0xB9, 0xC0)]
    out.append(("Unicode specials (i.e. replacement char)", [(True, s) for s in specials]))
    for _title, seqs in out:  # the catalogue's claims, checked against Python's own decoder
        for valid, payload in seqs:
            assert valid == _valid(payload), payload
    return out


# -- deflate payloads --------------------------------------------------------------------------

_WORDS = [
    "der",
    "die",
    "das",
    "und",
    "ist",
    "nicht",
    "ich",
    "du",
    "sich",
    "mit",
    "dem",
    "den",
    "ein",
    "eine",
    "zu",
    "auf",
    "es",
    "so",
    "wie",
    "als",
    "Faust",
    "Mephistopheles",
    "Gretchen",
    "Wagner",
    "Geist",
    "Himmel",
    "Erde",
    "Nacht",
    "Herz",
    "Welt",
    "Teufel",
]


def _json(size: int, rng: random.Random) -> bytes:
    rows: list[str] = []
    total = 0
    while total < size:
        row = {
            "id": len(rows),
            "name": f"user{rng.randrange(10**6)}",
            "active": rng.random() < 0.5,
            "score": round(rng.random() * 1000, 3),
            "tags": rng.sample(_WORDS, 3),
            "address": {"city": rng.choice(_WORDS), "zip": f"{rng.randrange(10**5):05d}"},
        }
        text = json.dumps(row)
        rows.append(text)
        total += len(text) + 2
    return ("[" + ",\n".join(rows) + "]").encode()[:size]


def _bitmap(size: int, rng: random.Random) -> bytes:
    side = 512
    header = b"BM" + size.to_bytes(4, "little") + bytes(4) + (1078).to_bytes(4, "little")
    palette = b"".join(bytes((i, i, i, 0)) for i in range(256))
    rows = []
    for y in range(side):
        base = [((x * 3 + y * 2) // 5 + rng.randrange(8)) & 0xFF for x in range(0, side, 8)]
        rows.append(bytes(v for v in base for _ in range(8)))
    return (header + bytes(40) + palette + b"".join(rows))[:size].ljust(size, b"\x80")


def _prose(size: int, rng: random.Random) -> bytes:
    words = []
    total = 0
    while total < size:
        w = rng.choice(_WORDS)
        words.append(w + ("\n" if rng.random() < 0.08 else " "))
        total += len(words[-1])
    return "".join(words).encode()[:size]


def _html(size: int, rng: random.Random) -> bytes:
    parts, total = ["<!DOCTYPE html><html><head><title>data</title></head><body>\n"], 0
    while total < size:
        p = (
            f'<div class="row r{rng.randrange(50)}"><a href="/item/{rng.randrange(10**5)}">'
            f"{' '.join(rng.sample(_WORDS, 4))}</a><span>{rng.random():.4f}</span></div>\n"
        )
        parts.append(p)
        total += len(p)
    return "".join(parts).encode()[:size]


def _pdf(size: int, rng: random.Random) -> bytes:
    chunks, total = [b"%PDF-1.4\n"], 0
    n = 1
    while total < size:
        text = _prose(2048, rng)
        stream = zlib.compress(text) if rng.random() < 0.6 else text
        obj = (
            b"%d 0 obj\n<< /Length %d >>\nstream\n" % (n, len(stream))
            + stream
            + b"\nendstream\nendobj\n"
        )
        chunks.append(obj)
        total += len(obj)
        n += 1
    return b"".join(chunks)[:size]


#: name -> (description, sent as binary, size, generator)
DEFLATE_DATA = {
    "json": ("Large JSON data file (utf8, 194056 bytes)", False, 194056, _json),
    "bitmap": ("Bitmap 512x512 greyscale (binary, 263222 bytes)", True, 263222, _bitmap),
    "prose": ("Human readable German text (binary, 222218 bytes)", True, 222218, _prose),
    "html": ("Large HTML file (utf8, 263527 bytes)", False, 263527, _html),
    "pdf": ("A larger PDF (binary, 1042328 bytes)", True, 1042328, _pdf),
}


@functools.cache
def deflate_data(name: str) -> bytes:
    _desc, _binary, size, make = DEFLATE_DATA[name]
    return make(size, random.Random(name))


def deflate_message(name: str, size: int, index: int) -> bytes:
    """Message ``index`` of a case: the next ``size`` bytes of the data, wrapping around."""
    data = deflate_data(name)
    start = (index * size) % len(data)
    end = start + size
    if end <= len(data):
        return data[start:end]
    return data[start:] + data[: end - len(data)]
