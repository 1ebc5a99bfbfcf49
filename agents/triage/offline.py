"""The triage agent's offline engine: weighted, deterministic rules that need no model."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from compound.agents.triage.contract import ASK_MAX, EmailForTriage, Triage, TriageKind

K = TriageKind
# The intent of a mail lives near its top and its bulk footer at the bottom; reading only
# these slices keeps a 200k-character body within the latency budget. Lists of companies
# run longer than prose, so links and list lines are read further down than phrases.
HEAD_CHARS = 12_000
TAIL_CHARS = 3_000
PHRASE_HEAD_CHARS = 4_000
PHRASE_TAIL_CHARS = 1_000
MAX_LINES = 250

# The signal table. A header line "kind weight [kind weight …] [label]" is followed by
# indented lines of lower-case regex alternatives, joined with "|". Repeating one phrase
# counts once and distinct phrases of a row add half a weight each, up to double, so a
# long mail cannot outvote a short one by repetition.
# Where rows overlap ("demo day" vs "demo"), the earlier row takes the words. Labels let
# the ask name what was seen. Comment lines start with "#".
PHRASE_TABLE = r"""
# deal flow: batches of startups from incubators, accelerators and investors
deal_flow 1.5
    batch(?:es)?|cohorts?|demo ?days?|deal ?flow|accelerator|incubator|pitch(?:ing)? day
    jahrgang|jeunes pousses|aceleradora|incubadora|promoção
deal_flow 1.5
    start-?ups?|founders|portfolio compan\w+|meet (?:the|our|them)|gründer\w*|fondateurs
    emprendedores|fundadores
deal_flow 1.0
    pre-?seed|seed(?: round| stage)?|series [ab]|raising|fundraising|investors?|valuation
    arr|mrr|traction|founder|founded|levée de fonds|finanzierungsrunde|rodada
deal_flow 1.5
    let me know (?:who|which|if)|happy to (?:intro|connect|make intros)|who you'd like to meet
    are (?:currently )?raising|(?:request|want) an? intro
    looking for (?:investors|pilots|design partners)
deal_flow 0.8
    (?:these|following|below|listed) (?:\w+ )?(?:companies|teams)|companies|unternehmen
    list of (?:\w+ )?(?:companies|startups)|entreprises|empresas
    add (?:them|these|all)|research (?:them|these|each)
# inbound lead: someone outside wants to buy or try the product
inbound_lead 2.0
    pricing|price list|(?:a|the|price|pricing) quote|quote for|demo|free trial|trial|pilot
    proof of concept|how much|preise?
    angebot|testversion|tarifs?|devis|essai|démo|precios?|cotización|prueba gratuita
    demostración|preços?|orçamento|demonstração|teste grátis|presupuesto|periodo de prueba
    show (?:me|us) (?:how|around|a demo)|discount\w*
inbound_lead 1.5
    evaluat\w+|seats|licen[cs]es|(?:enterprise|team) plan|switch(?:ing)? (?:away )?from
    replac\w* our (?:\w+ )?crm|procurement|rfp|talk to (?:sales|someone)|sign(?:ing)? up
    interested in (?:compound|your|using|buying|trying)|roll (?:it )?out|purchas\w+
    our (?:sales|revenue|gtm) team|lizenzen|intéressés?|interesados?|interessados?|licencias
    (?:free|discounted|nonprofit|startup) (?:tier|plan|pricing)|do you (?:offer|have|support)
    looking for (?:a|an) (?:new )?(?:crm|tool|solution)|estamos buscando|budget
    (?:heard|learned) about (?:you|compound)|recommended (?:you|compound)|a friend (?:said|told)
    \d+ (?:users|usuarios|utilisateurs|nutzer|usuários|reps|salespeople|comerciales)
# a vendor pitching to us is not a lead
other 3.0 inbound_lead -2.0 vendor
    we help (?:\w+ ){0,2}(?:companies|teams|businesses|startups|brands|saas)
    i(?:'m| am) reaching out|i came across your|would you be open to|15[- ]min\w*
    (?:open to|worth) a (?:quick )?(?:call|chat)|lead generation|appointment setting|seo
    backlinks|guest post|outsourc\w+|increase your (?:revenue|sales|pipeline|conversions)
    (?:give|show) you a (?:quick )?demo|right person to (?:talk|speak)|our (?:agency|services)
    introduce (?:myself|our (?:company|agency|services))|wir helfen unternehmen|nous aidons
    ayudamos a
# support: a customer with a problem or a how-to question
support_request 2.0
    errors?|bugs?|crash\w*|broken|not working|stopped working|can(?:'t|not)|unable to
    (?:does|do|is|are)(?:n't| not) (?:work|load|show|sync)\w*|fail\w*|stuck|timed? ?out
    fehler|funktioniert nicht|geht nicht|erreur|ne (?:fonctionne|marche) pas|impossible de
    no funciona|no puedo|não funciona|não consigo|erro|went wrong|logs? (?:\w+ )?out
    disappointed|frustrat\w+|unacceptable|upset|(?:every|each) time (?:i|we)|whenever (?:i|we)
    since the (?:update|upgrade|release|migration)|(?:http )?5\d\d(?:s| errors?)
    (?:returns?|returning|throws?|getting|got) (?:an? )?(?:[45]\d\d|errors?|exception)
    ticket #?\d+|fix (?:it|this)|what changed|(?:second|third|fourth) time
# a billing dispute comes from someone who already bought
support_request 2.0 inbound_lead -1.0
    invoice|charged|overcharg\w*|refund\w*|downgrad\w*|billing|credit note|rechnung|facture
    factura|fatura
support_request 1.2
    how (?:do|can|should) (?:i|we)|is there a way|where (?:can|do) (?:i|we) find
    when (?:i|we) (?:try|click|open)|issue|problem\w*|help|hilfe|aide|ayuda|ajuda|problème
    wie kann ich|comment (?:puis-je|faire)|cómo puedo|como (?:posso|faço)|missing
    disappeared|wrong|no longer|anymore
support_request 1.0
    (?:our|my) (?:account|workspace|subscription|plan|data)|we(?:'re| are) (?:a )?customers?
    import\w*|export\w*|sync\w*|integration|log ?in|sign ?in|upload\w*|dashboard|settings
    renewal|our (?:contract|admin)|we(?:'re| are) on (?:the )?\w+ plan
# intro: someone connects two parties
intro 3.0
    introduc\w* (?!myself|our|the new|new)(?:you|\w+ (?:to|and))
    (?:let me|like to|happy to|wanted to|glad to) introduce (?!myself|our|the new|new)
    connect(?:ing)? you(?: two| both)?|you two|you both|should (?:meet|talk|connect)
    looping in|(?:moving|move) \w+ to bcc|to bcc|take it from here|double opt-?in
    meet \w+ from|vorstellen|bekannt machen|vernetzen|vous présenter
    mettre en (?:contact|relation)|presentar(?:te|les|os)|poner(?:te|os|les) en contacto
    apresentar|conectar vocês|(?:making|make) the (?:connection|intro)|leave it to you
# content source: material to turn into marketing
# a colleague asking for posts wants content made, not a task done
content_source 2.0 internal_ask -1.0
    turn (?:this|it|these|them) into|repurpose\w*|content|linkedin|blog(?: ?posts?)?|socials
    carousel|blurb|went live|published|snippets|quote cards?
    social (?:posts|media)|(?:twitter|x) thread|case stud(?:y|ies)|customer story|clips?
    takeaways|marketing|contenu|contenido|conteúdo|inhalte?
content_source 1.5
    talk|keynote|slides|recording|recorded|transcripts?|podcast|webinar|panel|fireside
    interview|vortrag|folien|aufzeichnung|conférence|enregistrement|charla|ponencia
    grabación|palestra|gravação
content_source 1.0
    article|artikel|artículo|artigo|write-?up|notes from|whitepaper|op-?ed|posts?|quotes?
    testimonials?|(?:use|using) (?:their|our) name
# internal ask: a colleague asks Compound to do something
internal_ask 1.5
    can you|could you|would you|please|pls|remind me|look (?:up|into)|find (?:out|me)
    pull (?:up|together)|what do we know|summari[sz]e|brief me|draft|schedule|prepare
    create (?:a )?(?:task|note|contact|record|deal)|add (?:a )?(?:task|note|reminder)
    kannst du|könntest du|bitte|erinnere mich|peux-tu|pourrais-tu|merci de|rappelle-moi
    puedes|podrías|por favor|recuérdame|você pode|lembre-me
internal_ask 1.0
    by (?:monday|tuesday|wednesday|thursday|friday|tomorrow|eod)|follow up|for me
    before (?:my|our|the) (?:call|meeting)
# newsletters, digests, promotions and notifications
newsletter 2.5
    unsubscribe|you(?:'re| are) receiving this|you received this (?:email )?because
    abmelden|abbestellen|désabonner|désinscri\w+|darse de baja
    cancelar (?:la )?suscripción|descadastr\w+|cancelar inscrição
newsletter 1.5
    view (?:this email )?in (?:your )?browser|manage (?:your )?(?:preferences|subscription)
    email preferences|newsletter|digest|this week in|issue #?\d+|edition|weekly
    in this issue|top stories|forward this to a friend|subscribe at|that's it for this week
    see you next week|here's what (?:mattered|happened)|this week's|led by
newsletter 1.0
    read more|min read|sponsor\w*|\d+% off|limited time|register now|save your seat
    what's new|product update|new features?|notification|mentioned you|new comment
    raised|raises|announced|acquire[sd]
# other: invitations to appear somewhere (not material yet), out of office, receipts,
# phishing, prompt injection, personal mail
other 2.5 content_source -1.5 invitation
    (?:be|come|appear) on (?:our|the|a) (?:podcast|show|panel)|as (?:a|our) guest
    guest (?:on|speaker|appearance|post)|have (?:\w+ )?on (?:as|our)|join us (?:on|as|for)
    invite (?:you|\w+) to (?:speak|join|talk)|speaking (?:slot|opportunity|invitation)
other 5.0 auto_reply
    out of (?:the )?office|automatic reply|auto-?reply|autoreply|ooo
    limited access to (?:my )?e-?mail|on (?:vacation|holiday|leave|parental leave)
    (?:will be|i'll be|i am|i'm) back on
    abwesenheit\w*|nicht im büro|automatische antwort|réponse automatique
    je suis absente?|en congés?|fuera de la oficina|respuesta automática|estaré fuera
    resposta automática|estou fora|ausente
other 3.0 receipt
    receipt|order (?:number|confirmation|#)|your order|amount (?:paid|charged)
    payment (?:received|confirmation|successful)
    thank you for your (?:purchase|order|payment)|quittung|bestellbestätigung|reçu|recibo
    confirmación de pedido|comprovante|nota fiscal
other 5.0 suspicious
    ignore (?:all |any )?(?:previous|prior|above|your) (?:\w+ )?(?:instructions|prompts?)
    disregard (?:all |any |your )?(?:previous |prior )?instructions|system prompt
    you are now|new instructions|jailbreak|forward all|api keys?
    (?:classify|mark|label) this (?:email|message|mail) as
    ignoriere (?:alle )?(?:vorherigen )?anweisungen|ignore[zr]? les instructions
    ignora (?:las )?instrucciones
other 4.0 suspicious
    verify your (?:account|identity|email|mailbox)|unusual sign-?in|mailbox (?:is )?full
    confirm your (?:password|identity|account|credentials)|password (?:will )?expires?
    account (?:will be |has been )?(?:suspended|locked|deactivated)|gift cards?
    wire transfer|bitcoin|urgent payment|you(?:'ve| have) won
    update your (?:payment|billing) (?:details|information)|keep this between us
    (?:export|send) (?:me )?(?:the |all |our )?(?:full )?(?:contact|customer|client) (?:list|data)
    don't (?:loop|tell|cc) anyone|confidential (?:matter|request)|about to board
other 1.5
    lunch|dinner|birthday|congrat\w*|wedding|happy holidays|job (?:application|opening)
    resume|my cv|invitation:|accepted:|declined:
"""

# Structural features (see _features), each with the kinds it pushes towards or away from.
STRUCTURE_TABLE = """
bulk                   newsletter +4  other +0.5  internal_ask -2  support_request -2
                       inbound_lead -2  intro -2
bulk_sender            newsletter +2  other +1  inbound_lead -1  intro -1
machine_sender         other +3  support_request -2.5  inbound_lead -2.5  intro -2
                       deal_flow -2  content_source -2  internal_ask -2
internal               internal_ask +1.5  content_source +1.5  deal_flow +0.5  intro -1
                       inbound_lead -2.5  support_request -2.5  newsletter -1.5
external               internal_ask -4
internal_request       internal_ask +1.5
spoofed_colleague      other +3
pasted_material        content_source +2  internal_ask -1
internal_forward       deal_flow +1  content_source +0.5  inbound_lead +2  support_request +2
                       internal_ask -1.5  newsletter -2.5
company_lines          deal_flow +1.2
homepage_domains       deal_flow +0.8
article_links          newsletter +0.5  content_source +0.3
questions              support_request +0.4  inbound_lead +0.2  internal_ask +0.3
extra_parties          intro +1.5
to_deals               deal_flow +1.5  inbound_lead +0.5
to_sales               inbound_lead +1.5
to_general             inbound_lead +0.5
to_support             support_request +2
to_ask                 internal_ask +1.5
to_content             content_source +1.5
media_attachment       content_source +3
document_attachment    content_source +0.8  deal_flow +0.3
deck_attachment        deal_flow +1  content_source +0.5
sheet_attachment       deal_flow +1.5  support_request +0.3
screenshot_attachment  support_request +1.5
billing_attachment     other +2.5
intro_subject          intro +3
empty                  other +3
"""
# With no evidence at all, a mail is "other".
BASELINE: dict[TriageKind, float] = {K.OTHER: 1.0}


@dataclass(frozen=True)
class Phrase:
    """Words that, when present in the subject or body, count towards one kind."""

    weights: dict[TriageKind, float]
    label: str


def _parse_phrases(table: str) -> tuple[tuple[Phrase, ...], re.Pattern[str]]:
    """The rows of the table, and one pattern with a named group per row (one pass is
    several times faster than a search per row)."""
    rows: list[Phrase] = []
    groups: list[str] = []
    lines = [line for line in table.splitlines() if line.strip() and not line.startswith("#")]
    for block in re.split(r"\n(?=\S)", "\n".join(lines)):
        header, *alternatives = block.split("\n")
        tokens = header.split()
        label = tokens.pop() if len(tokens) % 2 else ""
        weights = {
            K(kind): float(weight) for kind, weight in zip(tokens[::2], tokens[1::2], strict=True)
        }
        groups.append(f"(?P<row{len(rows)}>" + "|".join(a.strip() for a in alternatives) + ")")
        rows.append(Phrase(weights, label))
    # (?!\w) rather than \b at the end: some alternatives end in punctuation. The lookahead
    # skips one-letter words before trying ~400 alternatives, which keeps junk like
    # "a.b.c.d…" as fast as prose.
    return tuple(rows), re.compile(r"\b(?=\w[\w' %])(?:" + "|".join(groups) + r")(?!\w)")


def _parse_structure(table: str) -> dict[str, dict[TriageKind, float]]:
    weights: dict[str, dict[TriageKind, float]] = {}
    feature = ""
    for line in table.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            feature, line = line.split(maxsplit=1)
        pairs = line.split()
        for kind, weight in zip(pairs[::2], pairs[1::2], strict=True):
            weights.setdefault(feature, {})[K(kind)] = float(weight)
    return weights


PHRASES, PHRASE_PATTERN = _parse_phrases(PHRASE_TABLE)
STRUCTURE = _parse_structure(STRUCTURE_TABLE)

ROLES: dict[str, frozenset[str]] = {
    "to_deals": frozenset({"leads", "deals", "dealflow", "deal-flow", "pipeline", "startups"}),
    "to_sales": frozenset({"sales", "demo", "enterprise"}),
    "to_general": frozenset({"hello", "contact", "info", "team"}),
    "to_support": frozenset({"support", "help", "helpdesk", "care", "service", "success"}),
    "to_ask": frozenset({"ask", "assistant", "agent", "compound", "bot", "tasks"}),
    "to_content": frozenset({"content", "marketing", "press", "social", "brand"}),
}
ROLE_ADDRESSES = frozenset().union(*ROLES.values())
ATTACHMENTS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "media_attachment": r"\.(?:mp4|mov|webm|mp3|m4a|wav|vtt|srt|pptx?|key)$|transcript|slides",
        "document_attachment": r"\.(?:pdf|docx?|md)$",
        "deck_attachment": r"deck|pitch|one-?pager|batch|cohort",
        "sheet_attachment": r"\.(?:csv|xlsx?|numbers|ods)$",
        "screenshot_attachment": r"screen ?shot|capture|\.log$|\.har$|error",
        "billing_attachment": r"invoice|receipt|rechnung|facture|factura|recibo",
    }.items()
}
BULK_SENDER = re.compile(
    r"^(?:no-?reply|do-?not-?reply|newsletters?|news|digest|notifications?|updates|mailer|"
    r"marketing|announcements?|bounce)\b"
)
# Addresses no person writes from, and that take no reply: mail from them is a system's
# (a bounce, an alert, an invoice run), never a customer, a buyer or an introduction.
MACHINE_SENDER = re.compile(
    r"^(?:mailer-?daemon|postmaster|no-?reply|do-?not-?reply|donotreply|noreply-\w+|"
    r"\w+[-.]no-?reply|bounces?(?:[-+.].*)?|notify|notifications?|alerts?|system|automated?|"
    r"auto-?confirm\w*|billing|invoices?|receipts?|orders?|shipping|security|calendar)$"
)
# Links to these are references, not the homepage of a company being pitched.
PLATFORM_DOMAINS = frozenset(
    re.findall(
        r"\S+",
        "gmail.com google.com linkedin.com twitter.com x.com youtube.com youtu.be zoom.us "
        "calendly.com notion.so medium.com substack.com github.com facebook.com instagram.com "
        "bit.ly vimeo.com loom.com docsend.com dropbox.com outlook.com hotmail.com",
    )
)
TLDS = (
    "com|io|ai|co|de|fr|es|pt|br|app|dev|tech|net|org|so|xyz|eu|uk|health|bio|energy|finance|vc|"
    "ventures|studio|me|us|ca|ch|at|nl|se|fi|dk|no|it|be|in|sg|cloud|tools|sh|ly|to|is|fm|gg|mx|"
    "ar|cl|pl|ie|il|jp|au|nz|earth|world|africa|city|inc|llc|run|build|works|travel|care|law"
)
DOMAIN = re.compile(
    r"\b(?<![@.-])(?:https?://)?(?:www\.)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:"
    + TLDS
    + r"))(?![\w-])(/[^\s)\]>,;\"']*)?"
)
BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣►▶→✓✔–—+]|\d{1,3}[.)]|\(\d{1,3}\)|#\d{1,3}|[a-z][.)])\s+")
# "Name (url) — one-liner", "Name: one-liner", "Name | url | stage": a name, then a separator.
ENTRY = re.compile(
    r"^(?P<name>[^\s(—–|:,\t][^(—–|:\t]{0,40}?)\s*(?:\(|—|–|\||:|\s-\s|,\s|\t| {2,})(?P<rest>.*)$"
)
# "Cartly raises $8M" reports news about a company; it does not offer it for consideration.
NEWS_VERB = re.compile(
    r"\b(?:raises|raised|acquires|acquired|closes|closed|announces|announced|launches|lands|"
    r"secures|secured|names|files for)\b",
    re.IGNORECASE,
)
NAME_CONNECTORS = frozenset(re.findall(r"\S+", "of and & the de la for y et und do da"))
FORWARDED = re.compile(
    r"-{2,} ?(?:forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|"
    r"mensagem encaminhada)|begin forwarded message|^(?:from|von|de):\s.+@",
    re.MULTILINE | re.IGNORECASE,
)
FORWARDED_FROM = re.compile(r"^(?:from|von|de):\s*(.+?)\s*(?:<|$)", re.MULTILINE | re.IGNORECASE)
FORWARD_PREFIX = re.compile(r"^\s*(?:fw|fwd|wg|tr|rv|enc)\s*:", re.IGNORECASE)
SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|wg|aw|tr|rv|res|enc|sv|vs)\s*:\s*|\[[^\]]{0,20}\]\s*)+", re.IGNORECASE
)
INTRO_PREFIX = re.compile(
    r"^\s*(?:intro|introduction|introducing|vorstellung|présentation|presentación|apresentação)"
    r"\b\s*:?\s*",
    re.IGNORECASE,
)
INTRO_MARK = re.compile(r"<>|↔|<->|\w,? meet \w", re.IGNORECASE)
CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
SKIPPED_LINE = re.compile(
    r"^(?:>|-{2,}|(?:from|to|cc|date|sent|subject|von|an|datum|betreff|de|à|para|objet|asunto|"
    r"assunto|envoyé|enviado)\s*:)",
    re.IGNORECASE,
)
GREETING = re.compile(
    r"^(?:hi|hey|hello|dear|hallo|liebe[rs]?|guten (?:tag|morgen)|moin|bonjour|salut|hola|"
    r"buenos días|buenas|olá|oi|bom dia|good (?:morning|afternoon|evening)|team|all)\b",
    re.IGNORECASE,
)
REQUEST = re.compile(
    r"\?\s*$|(?<!\w)(?:can you|could you|would you|please|pls|(?:i|we)(?:'d| would) like|"
    r"we want|i want|looking for|we need|i need|how (?:do|can)|is it possible|kannst|könnt|"
    r"bitte|ich möchte|wir möchten|pourr|peux|merci de|je voudrais|nous voudrions|puedes|podr|"
    r"por favor|quisiera|me gustaría|você pode|gostaria|add|research|remind|look up|"
    r"summari[sz]e|find)(?!\w)",
    re.IGNORECASE,
)
POLITE_LEAD = re.compile(
    r"^(?:(?:hey|hi)\b[^,]{0,30},\s*)?(?:(?:can|could|would) you(?: please)?|please|pls)(?:\s+|:)",
    re.IGNORECASE,
)
POLITE_TAIL = re.compile(
    r",?\s*(?:please|thanks?(?: you)?|merci|danke|gracias|obrigad[oa])\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class Reading:
    """The email as the rules see it: cleaned subject and lines, phrase hits and features."""

    subject: str
    lines: list[str]
    features: dict[str, float]
    hits: dict[int, float]
    """Row of PHRASES → strength (1 for one distinct phrase, up to 2 for three or more)."""
    company_count: int

    @property
    def labels(self) -> set[str]:
        return {PHRASES[row].label for row in self.hits if PHRASES[row].label}


def triage_offline(email: EmailForTriage) -> Triage:
    """Classify an email and state its ask with deterministic rules only."""
    reading = _read(email)
    scores = _score(reading)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], list(K).index(item[0])))
    (kind, best), (_, second) = ranked[0], ranked[1]
    # Less than a point above "other" is not evidence of anything.
    if kind is not K.OTHER and best - scores[K.OTHER] < 1.0 and best <= BASELINE[K.OTHER]:
        kind, best, second = K.OTHER, scores[K.OTHER], best
    # A margin of ~6 points (a few strong signals) is as sure as rules get.
    confidence = min(0.3 + 0.65 * (1.0 - math.exp(-max(best - second, 0.0) / 3.0)), 0.95)
    return Triage(kind=kind, ask=_ask(kind, email, reading), confidence=round(confidence, 3))


def _read(email: EmailForTriage) -> Reading:
    text = email.text
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        text = text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]
    body = _clean(text).replace("\r\n", "\n").replace("\r", "\n")
    subject = _clean(email.subject).strip()
    lowered = (subject + "\n" + body).lower()
    lines = [line.strip() for line in body.split("\n")[:MAX_LINES]]
    features = _features(email, subject, body, lowered, lines)
    company_count = int(max(features["company_lines"], features["homepage_domains"]))
    # Past ten companies a list is a list; more rows should not drown every other signal.
    features["company_lines"] = min(features["company_lines"], 10.0)
    features["homepage_domains"] = min(features["homepage_domains"], 10.0)
    window = lowered
    if len(lowered) > PHRASE_HEAD_CHARS + PHRASE_TAIL_CHARS:
        window = lowered[:PHRASE_HEAD_CHARS] + "\n" + lowered[-PHRASE_TAIL_CHARS:]
    matched: dict[int, set[str]] = {}
    for match in PHRASE_PATTERN.finditer(window):
        if match.lastgroup:
            matched.setdefault(int(match.lastgroup[3:]), set()).add(match.group(0))
    hits = {row: 1.0 + 0.5 * min(len(found) - 1, 2) for row, found in matched.items()}
    return Reading(subject, lines, features, hits, company_count)


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", CONTROL.sub(" ", text))


def _score(reading: Reading) -> dict[TriageKind, float]:
    scores = {kind: BASELINE.get(kind, 0.0) for kind in K}
    for row, strength in reading.hits.items():
        for kind, weight in PHRASES[row].weights.items():
            scores[kind] += weight * strength
    for name, value in reading.features.items():
        for kind, weight in STRUCTURE.get(name, {}).items():
            scores[kind] += weight * value
    return scores


def _features(
    email: EmailForTriage, subject: str, body: str, lowered: str, lines: list[str]
) -> dict[str, float]:
    sender_local, _, sender_domain = email.sender.lower().partition("@")
    homepages, articles = _links(lowered, _registrable(sender_domain))
    forwarded = bool(FORWARD_PREFIX.match(subject) or FORWARDED.search(body))
    recipients = [address.lower().partition("@") for address in [*email.to, *email.cc]]
    domains = {domain for _, _, domain in recipients}
    people = {domain for local, _, domain in recipients if local not in ROLE_ADDRESSES}
    role_domains = {domain for local, _, domain in recipients if local in ROLE_ADDRESSES}
    to_locals = {address.lower().partition("@")[0] for address in email.to}
    attachments = [name.lower().strip() for name in email.attachment_names]
    features = {
        "bulk": email.is_bulk,
        "bulk_sender": BULK_SENDER.match(sender_local) is not None,
        "machine_sender": MACHINE_SENDER.match(sender_local) is not None,
        "internal": email.sender_is_internal,
        "external": not email.sender_is_internal,
        "internal_forward": email.sender_is_internal and forwarded,
        "homepage_domains": len(homepages),
        "article_links": min(articles, 6),
        "company_lines": sum(_is_company_line(line) for line in lines),
        "questions": min(body.count("?"), 3),
        "internal_request": email.sender_is_internal and REQUEST.search(body[:2_000]) is not None,
        # Our own domain without authentication: someone posing as a colleague.
        "spoofed_colleague": not email.sender_is_internal and sender_domain in role_domains,
        # A colleague's instruction is short; several long paragraphs are material they pasted.
        "pasted_material": email.sender_is_internal
        and sum(len(line) >= 120 and not BULLET.match(line) for line in lines) >= 3,
        # Someone besides us and the sender is on the mail, or people of two organisations
        # are addressed together: the shape of an introduction.
        "extra_parties": len(domains | {sender_domain}) >= 3 or len(people) >= 2,
        "intro_subject": bool(INTRO_PREFIX.match(subject) or INTRO_MARK.search(subject)),
        "empty": not lowered.strip() and not attachments,
    }
    for role, names in ROLES.items():
        features[role] = bool(to_locals & names)
    for name, pattern in ATTACHMENTS.items():
        features[name] = any(pattern.search(attachment) for attachment in attachments)
    return {name: float(value) for name, value in features.items()}


def _registrable(domain: str) -> str:
    labels = domain.strip(".").split(".")
    second_level = len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in {"co", "com", "org"}
    return ".".join(labels[-3:] if second_level else labels[-2:])


def _links(lowered: str, sender_domain: str) -> tuple[set[str], int]:
    """Distinct company homepages mentioned, and how many links point deeper (articles)."""
    homepages: set[str] = set()
    articles = 0
    for match in DOMAIN.finditer(lowered):
        domain, path = _registrable(match.group(1)), (match.group(2) or "/").strip("/")
        if "/" in path or len(path) > 20 or any(char.isdigit() for char in path):
            articles += 1
        elif domain != sender_domain and domain not in PLATFORM_DOMAINS:
            homepages.add(domain)
    return homepages, articles


def _is_company_line(line: str) -> bool:
    """A bullet, table row or "Name (url) — one-liner" line that names one company."""
    if len(line) > 400 or NEWS_VERB.search(line):
        return False
    bullet = BULLET.match(line)
    item = line[bullet.end() :] if bullet else line
    tabular = len(re.split(r"\s*\|\s*|\t+| {3,}", item.strip(" |"))) >= 3
    entry = ENTRY.match(item)
    if DOMAIN.search(item.lower()):
        return bool(bullet or tabular or entry)
    if not (bullet or tabular) or not entry or len(entry.group("rest").strip()) < 3:
        return False
    words = entry.group("name").split()
    return 0 < len(words) <= 4 and all(
        word[0].isupper() or word[0].isdigit() or word.lower() in NAME_CONNECTORS for word in words
    )


def _ask(kind: TriageKind, email: EmailForTriage, reading: Reading) -> str:
    subject = SUBJECT_PREFIX.sub("", reading.subject).strip()
    who = (email.sender_name or "").strip() or email.sender.strip() or "an unknown sender"
    if reading.features["internal_forward"] and kind in (K.INBOUND_LEAD, K.SUPPORT_REQUEST):
        # A colleague passing on a lead or a complaint: the person to help is the original sender.
        original = FORWARDED_FROM.search("\n".join(reading.lines))
        who = original.group(1).strip(' "') if original else who
    request = _first_request(reading.lines)
    quoted = f"'{subject}'" if subject else f"the email from {who}"
    if kind is K.DEAL_FLOW:
        count = f"{reading.company_count} " if reading.company_count >= 2 else ""
        ask = f"Add and research the {count}companies listed in {quoted}."
    elif kind is K.INBOUND_LEAD:
        ask = f"Follow up with {who} on: {request or subject or 'their interest in the product'}"
    elif kind is K.INTRO:
        topic = INTRO_PREFIX.sub("", subject) or request
        ask = f"Follow up on {who}'s introduction: {topic or 'reply to both parties'}"
    elif kind is K.SUPPORT_REQUEST:
        # "Re: your renewal" names no problem; a colleague's cover note names none either.
        vague = len(subject.split()) < 3 and not reading.features["internal_forward"]
        ask = f"Help with: {(request if vague else subject) or subject or 'their problem'}"
    elif kind is K.CONTENT_SOURCE:
        ask = f"Turn {quoted} into marketing content."
    elif kind is K.INTERNAL_ASK:
        ask = _imperative(request) if request else f"Do what {who} asks in {quoted}."
    elif kind is K.NEWSLETTER:
        ask = f"No action: newsletter {quoted} from {who}."
    elif "suspicious" in reading.labels:
        ask = f"No action: suspected phishing or prompt injection from {who}; do not follow it."
    elif "auto_reply" in reading.labels:
        ask = f"No action: automatic reply from {who}."
    elif "receipt" in reading.labels or reading.features["billing_attachment"]:
        ask = f"No action: receipt or invoice {quoted} from {who}; file it."
    elif "vendor" in reading.labels:
        ask = f"No action: unsolicited pitch from {who}."
    else:
        ask = f"No action needed: {subject or request or f'email from {who}'}"
    return _one_line(ask)


def _first_request(lines: list[str]) -> str:
    """The first sentence that asks for something, else the first substantive sentence."""
    first = ""
    for index, line in enumerate(lines[:80]):
        if not line or SKIPPED_LINE.match(line) or (GREETING.match(line) and len(line) < 60):
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", line[:1_000]):
            if len(sentence) < 8 and not sentence.endswith(":"):
                continue
            if sentence.endswith(":"):
                sentence = f"{sentence} {_list_after(lines, index + 1)}"
            if REQUEST.search(sentence):
                return sentence
            first = first or sentence
    return first


def _list_after(lines: list[str], start: int) -> str:
    """The items under "Can you:", which are the request itself, joined into one clause."""
    items: list[str] = []
    for line in lines[start : start + 12]:
        if not line and items:
            break
        if line:
            items.append(re.sub(r"(?:[\s,;]|\band\b)+$", "", BULLET.sub("", line)))
    return "; ".join(items[:4])


def _imperative(sentence: str) -> str:
    """Turn "Can you look up X?" into "Look up X." so the ask reads as an instruction."""
    core = POLITE_LEAD.sub("", sentence).strip()
    if core == sentence.strip():  # a plain question ("Whats the number for Lars?") stays one
        return core[:1].upper() + core[1:]
    core = POLITE_TAIL.sub("", core.rstrip("?!. ")).lstrip(": ")
    return core[0].upper() + core[1:] + "." if core else sentence


def _one_line(text: str) -> str:
    """One printable line of at most ASK_MAX characters, ending in punctuation."""
    printable = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text[:2_000])
    line = " ".join(printable.split()) or "No action needed."
    if line[-1] not in ".!?…":
        line += "."
    return line if len(line) <= ASK_MAX else line[: ASK_MAX - 1].rstrip() + "…"
