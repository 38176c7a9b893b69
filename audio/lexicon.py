"""Words written the foreign way and said the Vietnamese way: acronyms read as words and loanwords.

Why a lexicon of its own: "ASEAN" spelled letter by letter ("a ét e a en nờ") or "vaccine" read by
a Vietnamese voice as it is written are both wrong on air; an announcer says "a xê an" and
"vắc xin". These readings are the defaults; the commune's glossary (edited in the panel) is
looked up first and so extends or overrides them (see :class:`audio.tn.common._Ctx`).

Two tables: :data:`ACRONYM_WORDS` matches exactly as written (capitals: "COVID", never the word
"covid" inside another word), :data:`LOANWORDS` in any letter case ("Vaccine", "VACCINE").
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

#: Acronyms said as one word, the way Vietnamese radio says them.
ACRONYM_WORDS: dict[str, str] = {
    "ASEAN": "a xê an",
    "UNESCO": "u nét xcô",
    "UNICEF": "u ni xép",
    "APEC": "a péc",
    "OPEC": "ô péc",
    "NATO": "na tô",
    "COVID": "cô vít",
    "COVID-19": "cô vít mười chín",
    "SARS": "sác",
    "OCOP": "ô cốp",
    "VAR": "va",
    "FIFA": "phi pha",
    "SEA Games": "xi gêm",
    "SEA GAMES": "xi gêm",
    "AFF": "a ép ép",
    "VinFast": "vin phát",
    "Viettel": "vi ê ten",
    "VNeID": "vê nê ai đi",
    "VssID": "vê ét ét ai đi",
    "iHanoi": "ai hà nội",
    "PC-Covid": "pê xê cô vít",
    "GMP": "giê em pê",
    "VietGAP": "việt gáp",
    "GlobalGAP": "gờ lô bồ gáp",
    "pH": "pê hát",
    "bOPV": "bê ô pê vê",  # the oral polio vaccine of the national schedule
    # vaccines are said by the diseases they prevent, as health workers announce them
    "MR": "sởi rubella",
    "MMR": "sởi quai bị rubella",
    "QR": "quy rờ",
    # petrol grades and gold brands, as the evening price bulletin says them
    "RON": "rôn",
    "DO": "đê ô",  # dầu DO, diesel oil
    "dầu KO": "dầu ca ô",  # kerosene
    "dầu FO": "dầu ép ô",  # fuel oil
    "SJC": "ét gi xê",
    "DOJI": "đô gi",
    "PNJ": "pê en gi",
    # economic figures are spelled, with the letter names radio uses (LETTER_NAMES)
    "GDP": "giê đê pê",
    "GRDP": "giê e rờ đê pê",
    "CPI": "xê pê i",
    "AQI": "a quy i",
    "FDI": "ép đê i",
    # governance indices a province reports on, said as their owners say them
    "PAPI": "pa pi",
    "SIPAS": "xi pát",
    "PCI": "pê xê i",
    "Zalo OA": "da lô ô a",
}

#: Loanwords and brand names, matched in any letter case.
LOANWORDS: dict[str, str] = {
    "vaccine": "vắc xin",
    "vắc-xin": "vắc xin",
    "vacxin": "vắc xin",
    "vac-xin": "vắc xin",
    "hotline": "hót lai",
    "video clip": "vi đê ô clíp",
    "videoclip": "vi đê ô clíp",
    "video": "vi đê ô",
    "clip": "clíp",
    "internet": "in tơ nét",
    "website": "oép sai",
    "web": "oép",
    "online": "on lai",
    "offline": "óp lai",
    "facebook": "phây búc",
    "fanpage": "phan pết",
    "zalo": "da lô",
    "youtube": "diu túp",
    "tiktok": "tích tốc",
    "email": "i meo",
    "e-mail": "i meo",
    "wifi": "oai phai",
    "wi-fi": "oai phai",
    "smartphone": "điện thoại thông minh",
    "livestream": "lai strim",
    "app": "áp",
    "virus": "vi rút",
    "vi-rút": "vi rút",
    "container": "công te nơ",
    "chip": "chíp",
    "radio": "ra đi ô",
    "laptop": "láp tóp",
    "tivi": "ti vi",
    "game": "gêm",
    "online/offline": "on lai, óp lai",
    "startup": "xtát áp",
    "marketing": "ma két tinh",
    "logo": "lô gô",
    "infographic": "in phô gráp phích",
    "inforgraphic": "in phô gráp phích",
    "poster": "pốt xtơ",
    "banner": "băng rôn",
    "pano": "pa nô",
    "panô": "pa nô",
    "festival": "phét xti van",
    "karaoke": "ca ra ô kê",
    "gas": "ga",
    "test": "tét",
    "test nhanh": "tét nhanh",
    "ok": "ô kê",
    "qr code": "mã quy rờ",
    "mã qr code": "mã quy rờ",
    "qrcode": "mã quy rờ",
    "qr-code": "mã quy rờ",
    "mã qr-code": "mã quy rờ",
    "diesel": "đi ê zen",
    # banks, as their names are said (the "bank" of a brand is "banh")
    "agribank": "a gờ ri banh",
    "vietcombank": "viết com banh",
    "vietinbank": "viết tin banh",
    "techcombank": "téc com banh",
    "sacombank": "sa com banh",
    "vpbank": "vê pê banh",
    "tpbank": "tê pê banh",
    "hdbank": "hát đê banh",
    "mbbank": "em bê banh",
    "mb bank": "em bê banh",
    "eximbank": "ếch xim banh",
    "seabank": "xi a banh",
    "lpbank": "en lờ pê banh",
    "abbank": "a bê banh",
    "ocb": "ô xê bê",
    "momo": "mô mô",
    "mobile banking": "mô bai banh king",
    "internet banking": "in tơ nét banh king",
    "smart banking": "xmát banh king",
    "zalopay": "da lô pây",
    "vnpay": "vê en pây",
    "vinaphone": "vi na phôn",
    "mobifone": "mô bi phôn",
    "petrolimex": "pê trô li mếch",
}
