"""The two currency tables a Medusa 2.21.2 server reads on the payment routes, vendored.

``EPSILON_DIGITS``: the ``decimal_digits`` of ``defaultCurrencies`` in ``@medusajs/utils``
2.21.2 (``dist/defaults/currencies.js``, MIT licence), where they are not 2. The refund's
over-refund check allows one unit of that digit (``getEpsilonFromDecimalPrecision``); a
currency missing from the table gets Medusa's default epsilon, 0.01, as if it had 2.

``ROUNDING_DIGITS``: the fraction digits ``Intl.NumberFormat(undefined, {style: "currency",
currency})`` writes in Node 20.20.2 (ICU 78.2, CLDR 48) under the en-US locale, where not
2, for every code of three letters (the payment module's ``roundToCurrencyPrecision``, which
rounds a capture and the amounts it is compared with). ``None``: the formatted text has no
decimal point (``¥0``), so Medusa's ``formatted.split(".")[1].length`` throws, the error is
caught, and the amount is not rounded at all.

The two differ: COP, HUF, IDR and PKR have 0 digits in the first and no rounding in the
second; AMD, CRC, IRT, MNT, MUR, RSD, TZS, UZS and ZWL have 0 and 2. Regenerate both with
Node 20 in a Medusa project::

    node -e '
    const {defaultCurrencies} = require("@medusajs/utils/dist/defaults/currencies.js")
    const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", epsilon = {}, rounding = {}
    for (const [k, v] of Object.entries(defaultCurrencies))
      if (v.decimal_digits !== 2) epsilon[k.toLowerCase()] = v.decimal_digits
    for (const a of A) for (const b of A) for (const c of A) {
      const s = Intl.NumberFormat("en-US", {style: "currency", currency: a + b + c}).format(0.1111111)
      const d = s.split(".")[1] === undefined ? null : s.split(".")[1].length
      if (d !== 2) rounding[(a + b + c).toLowerCase()] = d
    }
    console.log(JSON.stringify({epsilon, rounding}))'
"""

EPSILON_DIGITS: dict[str, int] = {
    "afn": 0,
    "all": 0,
    "amd": 0,
    "bhd": 3,
    "bif": 0,
    "clp": 0,
    "cop": 0,
    "crc": 0,
    "djf": 0,
    "gnf": 0,
    "huf": 0,
    "idr": 0,
    "iqd": 0,
    "irr": 0,
    "irt": 0,
    "isk": 0,
    "jod": 3,
    "jpy": 0,
    "kmf": 0,
    "krw": 0,
    "kwd": 3,
    "lbp": 0,
    "lyd": 3,
    "mga": 0,
    "mmk": 0,
    "mnt": 0,
    "mur": 0,
    "omr": 3,
    "pkr": 0,
    "pyg": 0,
    "rsd": 0,
    "rwf": 0,
    "sos": 0,
    "syp": 0,
    "tnd": 3,
    "tzs": 0,
    "ugx": 0,
    "uzs": 0,
    "vnd": 0,
    "xaf": 0,
    "xof": 0,
    "xpf": 0,
    "yer": 0,
    "zmk": 0,
    "zwl": 0,
}

ROUNDING_DIGITS: dict[str, int | None] = {
    "adp": None,
    "afn": None,
    "all": None,
    "bhd": 3,
    "bif": None,
    "byr": None,
    "clf": 4,
    "clp": None,
    "cop": None,
    "djf": None,
    "esp": None,
    "gnf": None,
    "huf": None,
    "idr": None,
    "iqd": None,
    "irr": None,
    "isk": None,
    "itl": None,
    "jod": 3,
    "jpy": None,
    "kmf": None,
    "kpw": None,
    "krw": None,
    "kwd": 3,
    "lak": None,
    "lbp": None,
    "luf": None,
    "lyd": 3,
    "mga": None,
    "mgf": None,
    "mmk": None,
    "mro": None,
    "omr": 3,
    "pkr": None,
    "pyg": None,
    "rwf": None,
    "sll": None,
    "sos": None,
    "std": None,
    "syp": None,
    "tmm": None,
    "tnd": 3,
    "trl": None,
    "ugx": None,
    "uyi": None,
    "uyw": 4,
    "vnd": None,
    "vuv": None,
    "xaf": None,
    "xof": None,
    "xpf": None,
    "yer": None,
    "zmk": None,
    "zwd": None,
}
