"""The drill's notice sent in error (examples/reserve-plus.yaml carries the same words) and
the forwarded and fake messages the /verify tests paste, in the page's five languages."""

from __future__ import annotations

import yaml

from statuspage.models import Incident, NoticeSentInError
from statuspage.services.incidents import do_open_incident
from tests.citizens import EXAMPLE, WHEN

LANGS = ["en", "uk", "uz", "uz-latn", "ru"]

# The example's own words (examples/reserve-plus.yaml), so the test checks what ships.
_NOTICE = yaml.safe_load(EXAMPLE.read_text())["notices_sent_in_error"][0]
WORDING = {"en": _NOTICE["wording"], **{lang: t["wording"] for lang, t in _NOTICE["translations"].items()}}
WHAT_TO_DO = {"en": _NOTICE["what_to_do"], **{lang: t["what_to_do"] for lang, t in _NOTICE["translations"].items()}}
# An update with a time in it, so that a forwarded copy with another time is tried.
UPDATE = {
    "en": "Login codes arrive late since 14:05. The next update will be here by 15:00.",
    "uk": "Коди для входу надходять із запізненням з 14:05. Наступне оновлення буде тут до 15:00.",
    "uz": "Кириш кодлари 14:05 дан бери кечикиб келмоқда. Кейинги янгиланиш 15:00 гача шу ерда бўлади.",
    "uz-latn": "Kirish kodlari 14:05 dan beri kechikib kelmoqda. Keyingi yangilanish 15:00 gacha shu yerda boʻladi.",
    "ru": "Коды для входа приходят с опозданием с 14:05. Следующее обновление будет здесь до 15:00.",
}
FORWARDED_FROM = {"en": "Forwarded from Reserve+ news", "uk": "Переслано від Резерв+ новини",
                  "uz": "Резерв+ янгиликлардан юборилди", "uz-latn": "Rezerv+ yangiliklardan yuborildi",
                  "ru": "Переслано от Резерв+ новости"}
# Fakes in the service's name: a phishing bot, and a notice of the opposite meaning.
FAKES = {
    "en": ["Reserve+ support: your account is blocked. To unblock it, open t.me/reserve_help_bot and enter "
           "the code from the SMS.",
           "Reserve+: Your deferment from mobilization has been cancelled. Report to the office tomorrow."],
    "uk": ["Підтримка Резерв+: ваш акаунт заблоковано. Щоб розблокувати, відкрийте t.me/reserve_help_bot "
           "і введіть код із SMS.",
           "Резерв+: Вашу відстрочку скасовано. Завтра з'явіться до ТЦК з документами."],
    "uz": ["Резерв+ ёрдам: ҳисобингиз блокланди. Очиш учун t.me/reserve_help_bot га киринг ва SMS кодини "
           "юборинг.",
           "Резерв+: Сизнинг кечиктиришингиз бекор қилинди. Эртага идорага келинг."],
    "uz-latn": ["Rezerv+ yordam: hisobingiz bloklandi. Ochish uchun t.me/reserve_help_bot ga kiring va SMS "
                "kodini yuboring.",
                "Rezerv+: Sizning kechiktirishingiz bekor qilindi. Ertaga idoraga keling."],
    "ru": ["Поддержка Резерв+: ваш аккаунт заблокирован. Чтобы разблокировать, откройте t.me/reserve_help_bot "
           "и введите код из SMS.",
           "Резерв+: Ваша отсрочка отменена. Завтра явитесь в ТЦК с документами."],
}


def forwarded_variants(text: str, lang: str) -> dict[str, str]:
    """How a message reaches the person who pastes it after a few forwards."""
    words = text.split(" ")
    return {
        "as sent": text,
        "forwarded, with quotes and emoji": f"{FORWARDED_FROM[lang]}\n\n‼️ «{text}» 😱😱",
        "whitespace and case lost": "  ".join(words).upper().replace(". ", ".\n\n"),
        "a name added and a time changed": f"{'Oleh' if lang == 'en' else 'Олег'}, {text.replace('14:05', '13:50')}",
        "cut short by an SMS": text[:int(len(text) * 0.7)].rsplit(" ", 1)[0],
        "typed quotes and apostrophes": text.replace("ʻ", "'").replace("ʼ", "'").replace("«", '"')
                                           .replace("»", '"'),
    }


def incident_with_notice() -> tuple[Incident, NoticeSentInError]:
    incident = do_open_incident(
        name="Wrong deferral status shown", body=UPDATE["en"],
        translations={lang: {"name": "Wrong deferral status shown"} for lang in LANGS[1:]},
        body_translations={lang: UPDATE[lang] for lang in LANGS[1:]},
    )
    notice = NoticeSentInError.objects.create(
        incident=incident, wording=WORDING["en"], what_to_do=WHAT_TO_DO["en"], channels=["push"], people=1200,
        sent_from=WHEN, translations={lang: {"wording": WORDING[lang], "what_to_do": WHAT_TO_DO[lang]}
                                      for lang in LANGS[1:]},
    )
    return incident, notice
