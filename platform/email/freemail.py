"""Mail providers whose domain says nothing about a sender's company."""

from __future__ import annotations

FREE_MAIL_DOMAINS = frozenset(
    {
        "aol.com", "gmail.com", "googlemail.com", "hotmail.com", "hotmail.co.uk", "hotmail.de",
        "hotmail.fr", "icloud.com", "me.com", "mac.com", "live.com", "live.co.uk", "msn.com",
        "outlook.com", "outlook.de", "yahoo.com", "yahoo.co.uk", "yahoo.de", "yahoo.fr",
        "yahoo.es", "yahoo.co.jp", "ymail.com", "proton.me", "protonmail.com", "pm.me",
        "gmx.de", "gmx.net", "gmx.com", "web.de", "t-online.de", "freenet.de", "mail.com",
        "mail.ru", "yandex.ru", "yandex.com", "zoho.com", "fastmail.com", "hey.com",
        "tutanota.com", "qq.com", "163.com", "126.com", "naver.com", "orange.fr", "free.fr",
        "laposte.net", "sfr.fr", "libero.it", "virgilio.it", "btinternet.com", "comcast.net",
        "verizon.net", "att.net", "rocketmail.com", "seznam.cz", "wp.pl", "o2.pl", "bol.com.br",
        "uol.com.br", "terra.com.br", "rediffmail.com",
    }
)  # fmt: skip


def is_free_mail(domain: str) -> bool:
    return domain.lower().rstrip(".") in FREE_MAIL_DOMAINS
