"""The fact guard in Spanish, French, German and Portuguese (issue 19): dates, times, amounts,
ordinals, weekdays and durations are found, the same fact written two ways passes, a changed one
is caught, English is read as before; and the corpus meets its targets in every language."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from api.guard import check, facts

NNBSP, NBSP = "\u202f", "\u00a0"


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in facts.extract(text)]


def keys(text: str) -> set:
    (fact,) = facts.extract(text)
    return set(fact.keys)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # dates
        ("llega el 3 de marzo", [("date", "3 de marzo")]),
        ("el 3 de marzo de 2026", [("date", "3 de marzo de 2026")]),
        ("le 3 mars 2026", [("date", "3 mars 2026")]),
        ("dès le 1er mars", [("date", "1er mars")]),
        ("am 3. März 2026", [("date", "3. März 2026")]),
        ("am 3. März", [("date", "3. März")]),
        ("em 3 de março", [("date", "3 de março")]),
        ("el 1.º de julio", [("date", "1.º de julio")]),
        ("em 1º de março de 2026", [("date", "1º de março de 2026")]),
        ("le 15 févr.", [("date", "15 févr.")]),
        ("am 3. Mär. 2026", [("date", "3. Mär. 2026")]),
        ("el 3 de mar.", [("date", "3 de mar.")]),
        ("en marzo de 2026", [("date", "marzo de 2026")]),
        ("am 03.03.", [("date", "03.03.")]),
        ("le 03/03/2026", [("date", "03/03/2026")]),
        # weekdays
        ("el miércoles", [("weekday", "miércoles")]),
        ("vendredi", [("weekday", "vendredi")]),
        ("am Freitag", [("weekday", "Freitag")]),
        ("na sexta-feira", [("weekday", "sexta-feira")]),
        ("na sexta", [("weekday", "sexta")]),
        ("pela segunda vez", []),  # "second", not Monday
        ("a segunda opção", []),
        # times
        ("à 14h30", [("time", "14h30")]),
        ("à 14 h 30", [("time", "14 h 30")]),
        ("um 14:30 Uhr", [("time", "14:30 Uhr")]),
        ("um 14.30 Uhr", [("time", "14.30 Uhr")]),
        ("um 9 Uhr", [("time", "9 Uhr")]),
        ("às 14h", [("time", "14h")]),
        ("a las 14:30", [("time", "14:30")]),
        ("dès 9h", [("time", "9h")]),
        ("chega às 18 horas", [("time", "18 horas")]),
        # amounts
        ("12,50 €", [("money", "12,50 €")]),
        ("€ 12,50", [("money", "€ 12,50")]),
        ("12,50 EUR", [("money", "12,50 EUR")]),
        ("1.234,56 €", [("money", "1.234,56 €")]),
        ("1 234,56 €", [("money", "1 234,56 €")]),
        (f"1{NNBSP}234,56{NBSP}€", [("money", f"1{NNBSP}234,56{NBSP}€")]),
        (f"1{NBSP}234,56 €", [("money", f"1{NBSP}234,56 €")]),
        ("R$ 49,90", [("money", "R$ 49,90")]),
        ("49,90 R$", [("money", "49,90 R$")]),
        ("49,90 reais", [("money", "49,90 reais")]),
        ("CHF 12.50", [("money", "CHF 12.50")]),
        ("12,50 $", [("money", "12,50 $")]),
        (f"15{NBSP}%", [("percent", f"15{NBSP}%")]),
        ("15 por ciento", [("percent", "15 por ciento")]),
        ("7,5 Prozent", [("percent", "7,5 Prozent")]),
        # ordinals, found as IDs as "1st" is
        ("la 1re relance", [("id", "1re")]),
        ("le 1er étage", [("id", "1er")]),
        ("la 2e relance", [("id", "2e")]),
        ("la 2ème relance", [("id", "2ème")]),
        ("la 1ère fois", [("id", "1ère")]),
        ("a 3ª tentativa", [("id", "3ª")]),
        ("o 3º andar", [("id", "3º")]),
        ("su 3.ª consulta", [("id", "3.ª")]),
        ("el 3er intento", [("id", "3er")]),
        ("el 2do piso", [("id", "2do")]),
        # durations
        ("en 3 a 5 días hábiles", [("duration", "3 a 5 días hábiles")]),
        ("sous 48 heures", [("duration", "48 heures")]),
        ("sous 48 h", [("duration", "48 h")]),
        ("dauert 3–5 Werktage", [("duration", "3–5 Werktage")]),
        ("em duas semanas", [("duration", "duas semanas")]),
        ("en dos semanas", [("duration", "dos semanas")]),
        ("a contagem dos dias", []),  # Portuguese "dos": "of the"
        ("dans 2 h", [("duration", "2 h")]),  # a duration, not 02:00
    ],
)
def test_extraction(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("3 de marzo", "3 March"), ("3 de marzo", "03/03"), ("3 mars", "March 3"), ("3. März", "am 03.03."),
        ("3 de março de 2026", "03/03/2026"), ("1er mars", "1 March"), ("1.º de julio", "1 de julio"),
        ("3 Mär.", "3. März"), ("15 févr.", "15 février"), ("3 de marzo de 2026", "3 de marzo"),  # a year may go
    ],
)
def test_one_date_in_every_language(a, b):
    assert keys(a) & keys(b) or any(facts._date_covers(x, y) for x in keys(a) for y in keys(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("14h30", "14:30"), ("14 h 30", "2:30 PM"), ("14:30 Uhr", "14.30 Uhr"), ("9h", "9:00 AM"), ("9 Uhr", "09:00"),
        ("14h", "2pm"),
        ("12,50 €", "€12.50"), ("12,50 €", "12,50 EUR"), ("€ 12,50", "12.5 EUR"), ("1.234,56 €", "€1,234.56"),
        (f"1{NNBSP}234,56 €", "1234,56 €"), ("R$ 49,90", "49,90 R$"), ("R$ 49,90", "BRL 49.90"),
        ("49,90 reais", "R$ 49,90"), ("CHF 12.50", "12,50 CHF"), ("12,50 $", "$12.50"),
        ("lunes", "Monday"), ("vendredi", "Friday"), ("Mittwoch", "mercredi"), ("sexta-feira", "viernes"),
        ("1er", "1st"), ("2e", "2ème"), ("3º", "3.º"), ("3ª", "3rd"),
        ("3 a 5 días hábiles", "3-5 business days"), ("3–5 Werktage", "3 bis 5 Arbeitstage"),
        ("48 heures", "48 h"), ("duas semanas", "2 weeks"), ("30 jours", "30 días"),
        ("15 %", "15 por ciento"),
    ],
)
def test_same_fact_written_two_ways_has_one_key(a, b):
    assert keys(a) & keys(b), (keys(a), keys(b))


@pytest.mark.parametrize(
    ("draft", "rewrite"),
    [
        ("Su pedido #4821 llega el 3 de marzo.", "Le confirmo que su pedido #4821 llegará el 03/03."),
        ("Votre remboursement de 12,50 € sera versé le 1er juillet 2026.",
         "Bonne nouvelle : le remboursement de 12,50 EUR sera versé le 01/07/2026."),
        ("Der Techniker kommt am Freitag, 3. März, um 14:30 Uhr.",
         "Am Freitag, den 03.03., kommt der Techniker um 14.30 Uhr zu Ihnen."),
        ("Reembolso de R$ 49,90 aprovado; cai no seu cartão em 3 a 5 dias úteis.",
         "Boa notícia: aprovamos o reembolso de 49,90 reais, que aparece em seu cartão em 3-5 dias úteis."),
        ("C'est votre 2e relance : 1\u202f234,56 € à régler avant vendredi.",
         "Il s'agit de votre 2ème relance ; merci de régler les 1234,56 € avant vendredi."),
        ("Le enviamos 3 artículos el 1.º de octubre.", "Le enviamos tres artículos el 1 de octubre."),
        ("La visite est prévue à 9h.", "Le technicien passera à 09:00."),
        ("Visita confirmada para 3 de março às 14h.", "A visita está confirmada para 03/03, às 14:00."),
    ],
)
def test_a_faithful_rewrite_in_the_same_language_passes(draft, rewrite):
    verdict = check(draft, rewrite)
    assert verdict.ok and not verdict.warnings, verdict.describe()


@pytest.mark.parametrize(
    ("draft", "rewrite", "kind"),
    [
        ("Llega el 3 de marzo.", "Llega el 4 de marzo.", "date"),
        ("Llega el 3 de marzo.", "Llega el 03/04/2026.", "date"),
        ("Livraison le 1er mars.", "Livraison le 2 mars.", "date"),
        ("Am 3. März 2026.", "Am 3. März 2027.", "date"),
        ("Am 3. März.", "Am 04.03.", "date"),
        ("Reembolso de 12,50 €.", "Reembolso de 12,60 €.", "money"),
        ("Reembolso de 12,50 €.", "Reembolso de 1.250 €.", "money"),
        ("Reembolso de R$ 49,90.", "Reembolso de $ 49,90.", "money"),
        ("Reembolso de 49,90 R$.", "Reembolso de 49,90 €.", "money"),
        ("Vous payez 12,50 € ce mois-ci.", "Vous payez 12,50 $ ce mois-ci.", "money"),
        (f"Remboursement de 1{NNBSP}234,56 €.", f"Remboursement de 1{NNBSP}234,65 €.", "money"),
        ("Le technicien passera à 14h30.", "Le technicien passera à 14h00.", "time"),
        ("Rückruf um 14.30 Uhr.", "Rückruf um 14.45 Uhr.", "time"),
        ("Chegamos às 14h.", "Chegamos às 16h.", "time"),
        ("C'est votre 2e relance.", "C'est votre 3e relance.", "id"),
        ("Es su 3.ª reclamación.", "Es su 4.ª reclamación.", "id"),
        ("Wir melden uns am Montag.", "Wir melden uns am Dienstag.", "weekday"),
        ("Vamos ligar na sexta-feira.", "Vamos ligar na quinta-feira.", "weekday"),
        ("Gutschrift in 3–5 Werktagen.", "Gutschrift in 3–5 Tagen.", "duration"),
        ("Réponse sous 48 heures.", "Réponse sous 24 heures.", "duration"),
        ("Entrega em 3 a 5 dias úteis.", "Entrega em 3 a 5 dias.", "duration"),
    ],
)
def test_a_changed_fact_is_caught(draft, rewrite, kind):
    verdict = check(draft, rewrite)
    assert ("altered", kind) in {(v.kind, v.fact) for v in verdict.violations}, verdict.describe()


def test_english_lists_and_numbers_read_as_before():
    assert kinds("Items 3, 4 and 5 ship on March 3.") == [
        ("number", "3"), ("number", "4"), ("number", "5"), ("date", "March 3")]
    assert kinds("$1,200.00 and 1,234 units, then 3,4") == [  # as before issue 19
        ("money", "$1,200.00"), ("number", "1"), ("number", "234"), ("number", "3"), ("number", "4")]
    assert kinds("Call us 24/7 or on the 1st.") == [("id", "24/7"), ("id", "1st")]
    assert check("Items 3, 4 and 5 ship on March 3 for $12.50.",
                 "Items 3, 4 and 5 will ship on 3 March, for USD 12.50.").ok
    assert not check("Items 3, 4 and 5 ship.", "Items 3, 4 and 6 ship.").ok
    assert not check("It costs $12.50.", "It costs $12.60.").ok


def test_number_words_stand_for_small_numbers():
    assert check("Hemos enviado 3 artículos.", "Le hemos enviado tres artículos.").ok
    assert check("Nous avons envoyé 3 articles.", "Nous vous avons envoyé trois articles.").ok
    assert check("Wir haben 3 Artikel verschickt.", "Wir haben Ihnen drei Artikel geschickt.").ok
    assert check("Enviamos 3 itens.", "Enviamos três itens para você.").ok
    assert not check("Hemos enviado 3 artículos.", "Le hemos enviado cuatro artículos.").ok


def test_portuguese_no_is_not_a_negation_and_spanish_no_still_is():
    # "no" is "in the" in Portuguese: moving a word out of it flips nothing
    assert check("Cai no seu cartão em 5 dias úteis.", "O valor aparece em seu cartão em 5 dias úteis.").ok
    assert check("Vamos ligar na sexta-feira às 9h30 no número +55 11 91234-5678.",
                 "Vamos ligar na sexta, às 09:30, para o número +55 11 91234-5678.").ok
    # Spanish function words are no terms of their own
    assert check("La garantía no cubre daños por agua.",
                 "Gracias por escribirnos. Por desgracia, la garantía no cubre daños por agua.").ok
    verdict = check("El pedido #4821 no es reembolsable.", "El pedido #4821 es reembolsable.")
    assert [(v.kind, v.value) for v in verdict.violations] == [("flipped", "reembols")]


def test_each_language_of_the_corpus_meets_the_targets():
    """recall >= 0.99 on lost/altered/added facts and placeholders, false positives <= 2%, in
    English and in each of Spanish, French, German and Portuguese."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.guard_accuracy import FACT_TARGET, FP_TARGET, by_language, load

    languages = by_language(load())
    assert set(languages) == {"en", "es", "fr", "de", "pt"}
    for lang, row in languages.items():
        assert row["drafts"] >= 30, lang
        assert row["fact_recall"] >= FACT_TARGET, (lang, row["misses"][:5])
        assert row["false_positive_rate"] <= FP_TARGET, (lang, row["false_positives"][:5])
        if lang != "en":
            assert {"alter_digit", "change_amount", "change_date", "drop_date", "drop_time", "drop_money",
                    "drop_ordinal", "remove_placeholder", "add_url", "add_amount", "add_date"} <= set(row["recall_by_kind"])
