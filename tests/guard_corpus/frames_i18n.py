"""Scenario frames in Spanish, French, German and Portuguese for the fact-guard corpus.

As in frames.py: a curt agent draft with ``{slot}`` markers, the customer's message and two
faithful, empathetic paraphrases, here written in the draft's language. Each language has its own
slot values, written as that language writes them; the first rendering is the draft's, the others
are equivalent (`12,50 €` -> `12,50 EUR`, `3 de marzo` -> `03/03`, `14h30` -> `14 h 30`). Slots a
language does not list here (placeholders, tracking, invoice and ticket numbers, URLs, emails,
codes) take build.py's values. build.py also takes from here each language's vague phrases (for
`drop_<slot>`), the sentences it appends (`add_*`), how to flip a negation and which amount and
date a `change_amount` / `change_date` corruption writes.
"""

from __future__ import annotations

import re

NNBSP = "\u202f"  # narrow no-break space, French thousands separator


def _numeric_date(separator: str):
    def other(value: str) -> str:
        return f"09{separator}11{separator}2025" if re.fullmatch(r"[\d/.]+", value) else None

    return other


# --------------------------------------------------------------------------------- Spanish

ES_SLOTS = {
    "order": [("#4821", "4821"), ("#100734",), ("#A-5512",), ("#88213", "88213")],
    "money": [("12,50 €", "12,50 EUR", "€12.50"), ("49,90 €", "49,90 euros"), ("1.234,56 €", "1234,56 €"),
              ("89 €", "89,00 EUR"), ("USD 35,00", "35 USD")],
    "money2": [("5,00 €", "5 €"), ("3,50 €",), ("19,99 €", "19,99 EUR")],
    "percent": [("15 %", "15 por ciento"), ("20 %", "20%"), ("7,5 %",)],
    "date": [("3 de marzo", "03/03"), ("15 de junio de 2026", "15/06/2026"), ("1.º de octubre", "1 de octubre"),
             ("12 de mayo", "12/05")],
    "date2": [("14 de abril", "14/04"), ("20 de julio de 2026",), ("9 de septiembre", "9 sept.")],
    "weekday": [("lunes",), ("viernes",), ("miércoles",)],
    "time": [("14:30", "14:30 h"), ("10:00", "10 h"), ("9:15", "09:15")],
    "duration": [("3-5 días hábiles", "3 a 5 días hábiles"), ("48 horas",), ("2 semanas", "dos semanas"),
                 ("30 días",), ("7 a 10 días hábiles", "7-10 días hábiles")],
    "phone": [("+34 912 345 678",), ("+34 600 123 456", "+34 600 12 34 56"), ("+52 55 1234 5678",)],
    "ordinal": [("3.ª", "3ª"), ("2.ª", "2ª"), ("4.ª",)],
}
ES_VAGUE = {
    "name_ph": "de nuevo", "agent_ph": "alguien del equipo", "order": "su pedido", "tracking": "el número de seguimiento",
    "invoice": "la factura", "ticket": "su caso", "money": "el importe", "money2": "el cargo", "percent": "un descuento",
    "date": "esa fecha", "date2": "la fecha indicada", "weekday": "esta semana", "time": "más tarde",
    "duration": "unos días", "url": "nuestra página de ayuda", "email": "su correo", "phone": "su teléfono",
    "code": "el código", "ordinal": "nueva",
}
ES_ADDITIONS = {
    "add_url": " Puede seguir el estado en https://updates.example.net/status.",
    "add_amount": " El total asciende a 15,00 €.",
    "add_date": " Le enviaremos la próxima actualización el 9 de noviembre.",
    "add_promise": " Además, me aseguraré de que reciba un descuento en su próximo pedido por las molestias.",
}
ES_FRAMES = [
    {
        "id": "refund-approved",
        "tags": ["refund", "placeholder"],
        "customer": "Devolví la batidora hace dos semanas y todavía no he recibido el reembolso.",
        "draft": "Hola {name_ph}, reembolso de {money} del pedido {order} aprobado. Llegará a su tarjeta en {duration}.",
        "paraphrases": [
            "Hola {name_ph}, entiendo lo frustrante que es esperar un reembolso después de haber devuelto la batidora. Le traigo buenas noticias: el reembolso de {money} del pedido {order} ya está aprobado y llegará a su tarjeta en {duration}. Si algo no le cuadra, responda a este mensaje y lo reviso enseguida.",
            "Hola {name_ph}, gracias por su paciencia y disculpe que este trámite se haya alargado tanto desde que nos envió la batidora. Me alegra confirmarle que hemos aprobado el reembolso de {money} correspondiente al pedido {order}; lo verá reflejado en su tarjeta en {duration}. Quedo a su disposición para cualquier duda.",
        ],
        "negations": [],
    },
    {
        "id": "refund-denied-window",
        "tags": ["refund", "negation"],
        "customer": "Quiero devolver la chaqueta que compré el invierno pasado, nunca me quedó bien.",
        "draft": "El pedido {order} se entregó el {date} y no es elegible para reembolso: el plazo de devolución es de {duration}. Política: {url}",
        "paraphrases": [
            "Siento mucho que la chaqueta no le haya quedado bien; es una situación muy molesta. He revisado el pedido {order}: se entregó el {date} y, como el plazo de devolución es de {duration}, no es elegible para reembolso. Sé que no es la respuesta que esperaba. Puede consultar la política completa en {url} y, si tiene cualquier pregunta, responda a este mensaje.",
            "Gracias por escribirnos por lo de la chaqueta; entiendo lo incómodo que es cuando una prenda no sienta bien. El pedido {order} se entregó el {date} y nuestro plazo de devolución es de {duration}, así que lamentablemente el pedido no es elegible para reembolso. Tiene todos los detalles de la política en {url}. Si le surge cualquier duda, estaré encantado de ayudarle.",
        ],
        "negations": ["no es elegible"],
    },
    {
        "id": "shipping-delay",
        "tags": ["shipping"],
        "customer": "¿Dónde está mi paquete? Tenía que haber llegado la semana pasada.",
        "draft": "El pedido {order} está retrasado en la empresa de transporte. Nueva fecha estimada: {date}. Seguimiento: {tracking}.",
        "paraphrases": [
            "Lamento mucho que su paquete se esté retrasando; sé lo frustrante que es esperar algo que ya debería tener. El pedido {order} está retrasado en la empresa de transporte, y la nueva fecha estimada de entrega es el {date}. Puede seguirlo con el número de seguimiento {tracking}. Si tiene alguna pregunta, responda a este mensaje.",
            "Gracias por su paciencia; entiendo perfectamente el enfado cuando un paquete se retrasa. La empresa de transporte ha retrasado el pedido {order} y ahora calcula que llegará el {date}. Su número de seguimiento es {tracking}, por si quiere consultar el estado del envío. Estoy aquí para lo que necesite.",
        ],
        "negations": [],
    },
    {
        "id": "technician-visit",
        "tags": ["appointment", "placeholder"],
        "customer": "Necesito que venga un técnico a revisar la caldera.",
        "draft": "Hola {name_ph}, visita técnica confirmada para el {date2} a las {time}. Referencia: {ticket}.",
        "paraphrases": [
            "Hola {name_ph}, gracias por avisarnos de lo de la caldera; entiendo que quiera solucionarlo cuanto antes. Le confirmo la visita técnica para el {date2} a las {time}. Su referencia es {ticket}, por si necesita cambiar algo. Responda a este mensaje si le surge cualquier duda.",
            "Hola {name_ph}, siento las molestias con la caldera. Ya está confirmada la visita del técnico: será el {date2} a las {time}, con la referencia {ticket}. Si necesita algo más, aquí me tiene.",
        ],
        "negations": [],
    },
    {
        "id": "subscription-renewal",
        "tags": ["subscription"],
        "customer": "¿Cuándo se renueva mi suscripción y cuánto me van a cobrar?",
        "draft": "Su suscripción se renueva el {date} por {money}. Puede cancelarla antes en {url}.",
        "paraphrases": [
            "Gracias por consultarlo antes de la renovación; es lógico querer tenerlo claro. Su suscripción se renueva el {date} por {money}. Si prefiere cancelarla, puede hacerlo antes de esa fecha en {url}. Para cualquier otra duda, responda a este mensaje.",
            "Buena pregunta, y entiendo que quiera saber exactamente qué se le va a cobrar. La renovación de su suscripción será el {date}, por un importe de {money}. Puede cancelarla antes en {url}. Quedo a su disposición para lo que necesite.",
        ],
        "negations": [],
    },
    {
        "id": "subscription-cancelled",
        "tags": ["subscription", "negation", "placeholder"],
        "customer": "Quiero darme de baja, ya no uso el servicio.",
        "draft": "Hola {name_ph}, suscripción cancelada. No se realizarán más cargos; conserva el acceso hasta el {date}. Confirmación enviada a {email}.",
        "paraphrases": [
            "Hola {name_ph}, lamento que el servicio no le haya resultado útil, y gracias por habernos acompañado. He cancelado su suscripción. No se realizarán más cargos y conserva el acceso hasta el {date}. Le hemos enviado la confirmación a {email}. Si cambia de opinión, aquí estaremos.",
            "Hola {name_ph}, gracias por avisarnos. Su suscripción ya está cancelada y no se realizarán más cargos; podrá seguir usando el servicio hasta el {date}. Encontrará la confirmación en {email}. Si necesita cualquier otra cosa, responda a este mensaje.",
        ],
        "negations": ["No se realizarán"],
    },
    {
        "id": "discount-code",
        "tags": ["billing"],
        "customer": "Me cobraron el envío dos veces y estoy bastante molesto.",
        "draft": "Use el código {code} para obtener un {percent} de descuento en su próximo pedido. Válido hasta el {date2}.",
        "paraphrases": [
            "Entiendo su enfado por el cobro doble del envío y le pido disculpas. Puede usar el código {code} para obtener un {percent} de descuento en su próximo pedido. El código es válido hasta el {date2}. Si tiene cualquier problema al aplicarlo, escríbanos.",
            "Siento mucho lo del doble cobro; es normal que esté molesto. Con el código {code} tendrá un {percent} de descuento en su próximo pedido, válido hasta el {date2}. Estoy aquí para cualquier otra cosa que necesite.",
        ],
        "negations": [],
    },
    {
        "id": "invoice-sent",
        "tags": ["billing", "placeholder"],
        "customer": "Necesito la factura de mi última compra para la empresa.",
        "draft": "Hola {name_ph}, factura {invoice} por {money} enviada a {email}. El pago vence en {duration}.",
        "paraphrases": [
            "Hola {name_ph}, claro, entiendo que la necesite para la contabilidad de su empresa. Le he enviado la factura {invoice} por {money} a {email}. El pago vence en {duration}. Si no la encuentra, revise la carpeta de correo no deseado o responda a este mensaje.",
            "Hola {name_ph}, gracias por escribirnos. La factura {invoice}, por un importe de {money}, ya está en camino a {email}, y el pago vence en {duration}. Quedo a su disposición si necesita algo más.",
        ],
        "negations": [],
    },
    {
        "id": "callback",
        "tags": ["appointment", "placeholder"],
        "customer": "Prefiero que me llamen por teléfono, por escrito no me aclaro.",
        "draft": "{agent_ph} le llamará al {phone} el {weekday} a las {time}.",
        "paraphrases": [
            "Por supuesto, entiendo que por teléfono sea más sencillo aclararlo todo. {agent_ph} le llamará al {phone} el {weekday} a las {time}. Si ese momento no le viene bien, respóndanos y lo cambiamos.",
            "Gracias por decírnoslo; a veces una llamada lo hace todo más fácil. {agent_ph} le llamará el {weekday} a las {time}, al número {phone}. Si necesita otra hora, díganoslo sin problema.",
        ],
        "negations": [],
    },
    {
        "id": "shipping-fee-refund",
        "tags": ["refund", "shipping"],
        "customer": "El paquete llegó tarde, así que quiero que me devuelvan los gastos de envío.",
        "draft": "Reembolsados los gastos de envío de {money2} del pedido {order}, junto con el recargo urgente de {money}. Lo recibirá en {duration}.",
        "paraphrases": [
            "Siento mucho que el paquete llegara tarde, sobre todo habiendo pagado por un envío más rápido. Le hemos reembolsado los gastos de envío de {money2} del pedido {order}, junto con el recargo urgente de {money}. Lo recibirá en {duration}. Si algo no cuadra, responda a este mensaje.",
            "Entiendo lo decepcionante que es un retraso así, y gracias por comentárnoslo. Hemos reembolsado los {money2} de gastos de envío del pedido {order} y también el recargo urgente de {money}; le llegará en {duration}. Estoy aquí para cualquier otra duda.",
        ],
        "negations": [],
    },
    {
        "id": "escalation",
        "tags": ["technical"],
        "customer": "Es la tercera vez que escribo por el mismo error y nadie me responde.",
        "draft": "Es su {ordinal} consulta sobre este error. Incidencia {ticket} escalada al equipo técnico, que responderá en {duration}. Estado del servicio: {url}",
        "paraphrases": [
            "Lamento muchísimo que tenga que escribirnos otra vez; es su {ordinal} consulta sobre este error y entiendo su frustración. He escalado la incidencia {ticket} al equipo técnico, que le responderá en {duration}. Mientras tanto, puede consultar el estado del servicio en {url}.",
            "Tiene toda la razón en estar molesto: es ya su {ordinal} consulta por este error. La incidencia {ticket} está escalada al equipo técnico y recibirá su respuesta en {duration}. El estado del servicio se actualiza en {url}. Gracias por su paciencia.",
        ],
        "negations": [],
    },
    {
        "id": "warranty-water",
        "tags": ["refund", "negation"],
        "customer": "Se me cayó el móvil al agua y ya no enciende. ¿Lo cubre la garantía?",
        "draft": "La garantía no cubre daños por agua. Puede solicitar una reparación de pago por {money} en {url} indicando el pedido {order}.",
        "paraphrases": [
            "Siento mucho lo que le ha pasado al móvil; sé lo importante que es en el día a día. Por desgracia, la garantía no cubre daños por agua. Lo que sí puede hacer es solicitar una reparación de pago por {money} en {url}, indicando el pedido {order}. Si tiene dudas con el formulario, responda a este mensaje.",
            "Entiendo lo frustrante que es que el móvil se estropee. Tengo que decirle que los daños por agua no los cubre la garantía, aunque puede pedir una reparación de pago por {money} en {url} con el número de pedido {order}. Estoy aquí si necesita ayuda con la solicitud.",
        ],
        "negations": ["no cubre"],
    },
]

# ---------------------------------------------------------------------------------- French

FR_SLOTS = {
    "order": [("#4821", "4821"), ("#100734",), ("#A-5512",), ("#88213", "88213")],
    "money": [("12,50 €", "12,50 EUR", "€12.50"), ("49,90 €", "49,90 euros"), (f"1{NNBSP}234,56 €", "1234,56 €"),
              ("CHF 12.50", "12,50 CHF"), ("89 €", "89,00 €")],
    "money2": [("5,00 €", "5 €"), ("3,50 €",), ("19,99 €", "19,99 EUR")],
    "percent": [("15 %", "15 pour cent"), ("20 %", "20\u00a0%"), ("7,5 %",)],
    "date": [("3 mars", "03/03"), ("1er juillet 2026", "01/07/2026"), ("15 févr.", "15 février"),
             ("24 décembre", "24/12")],
    "date2": [("14 avril", "14/04"), ("20 juillet 2026",), ("9 septembre", "9 sept.")],
    "weekday": [("lundi",), ("vendredi",), ("mercredi",)],
    "time": [("14h30", "14 h 30", "14:30"), ("9h", "09:00"), ("17 h", "17h00")],
    "duration": [("3 à 5 jours ouvrés", "3-5 jours ouvrés"), ("48 heures", "48 h"), ("2 semaines", "deux semaines"),
                 ("30 jours",), ("7 à 10 jours ouvrables", "7-10 jours ouvrés")],
    "phone": [("+33 1 23 45 67 89",), ("+33 6 12 34 56 78",), ("+32 2 123 45 67",)],
    "ordinal": [("2e", "2ème"), ("3e", "3ème"), ("1re", "1ère")],
}
FR_VAGUE = {
    "name_ph": "à vous", "agent_ph": "un conseiller", "order": "votre commande", "tracking": "le numéro de suivi",
    "invoice": "la facture", "ticket": "votre dossier", "money": "le montant", "money2": "les frais",
    "percent": "une remise", "date": "cette date", "date2": "la date prévue", "weekday": "cette semaine",
    "time": "plus tard", "duration": "quelques jours", "url": "notre page d'aide", "email": "votre messagerie",
    "phone": "votre numéro", "code": "le code", "ordinal": "nouvelle",
}
FR_ADDITIONS = {
    "add_url": " Vous pouvez suivre l'avancement sur https://updates.example.net/status.",
    "add_amount": " Le total s'élève à 15,00 €.",
    "add_date": " Nous vous enverrons la prochaine mise à jour le 9 novembre.",
    "add_promise": " Je veillerai aussi à ce que vous receviez une remise sur votre prochaine commande pour la gêne occasionnée.",
}
FR_FRAMES = [
    {
        "id": "refund-approved",
        "tags": ["refund", "placeholder"],
        "customer": "J'ai renvoyé le mixeur il y a deux semaines et je n'ai toujours pas été remboursé !",
        "draft": "Bonjour {name_ph}, remboursement de {money} pour la commande {order} validé. Il arrivera sur votre carte sous {duration}.",
        "paraphrases": [
            "Bonjour {name_ph}, je comprends à quel point il est agaçant d'attendre un remboursement après avoir renvoyé le mixeur. Bonne nouvelle : le remboursement de {money} pour la commande {order} est validé, et il arrivera sur votre carte sous {duration}. Si quelque chose vous semble anormal, répondez simplement à ce message.",
            "Bonjour {name_ph}, merci pour votre patience, et désolé que cela ait pris autant de temps. Je vous confirme que nous avons validé le remboursement de {money} pour la commande {order} ; vous le verrez sur votre carte sous {duration}. N'hésitez pas à revenir vers moi si vous avez la moindre question.",
        ],
        "negations": [],
    },
    {
        "id": "refund-denied-download",
        "tags": ["refund", "negation"],
        "customer": "J'ai acheté le livre numérique par erreur, je veux être remboursé.",
        "draft": "Les téléchargements ouverts ne sont pas remboursables. La commande {order} de {money} a été téléchargée le {date}.",
        "paraphrases": [
            "Je comprends à quel point un achat par erreur peut être frustrant. J'ai vérifié la commande {order} de {money} : elle a été téléchargée le {date}. Les téléchargements ouverts ne sont pas remboursables, et je suis désolé de ne pas avoir de meilleure nouvelle. Si vous avez des questions, répondez à ce message.",
            "Merci de m'avoir expliqué ce qui s'est passé ; ce genre d'erreur arrive vite. La commande {order}, d'un montant de {money}, apparaît comme téléchargée le {date}, et les téléchargements ouverts ne sont pas remboursables. Je sais que c'est décevant. Je reste à votre disposition pour toute autre question.",
        ],
        "negations": ["ne sont pas remboursables"],
    },
    {
        "id": "shipping-delay",
        "tags": ["shipping"],
        "customer": "Mon colis devait arriver la semaine dernière, où est-il ?",
        "draft": "La commande {order} est retardée chez le transporteur. Nouvelle date estimée : {date}. Suivi : {tracking}.",
        "paraphrases": [
            "Je suis désolé que votre colis ait du retard ; attendre quelque chose qu'on pensait déjà recevoir, c'est vraiment pénible. La commande {order} est retardée chez le transporteur, et la nouvelle date de livraison estimée est le {date}. Vous pouvez la suivre avec le numéro {tracking}. N'hésitez pas à répondre à ce message si besoin.",
            "Merci pour votre patience, je comprends tout à fait votre agacement. Le transporteur a pris du retard sur la commande {order} ; il prévoit désormais une livraison le {date}. Votre numéro de suivi est {tracking} si vous souhaitez suivre l'acheminement. Je reste disponible pour toute question.",
        ],
        "negations": [],
    },
    {
        "id": "technician-visit",
        "tags": ["appointment", "placeholder"],
        "customer": "Il faudrait qu'un technicien passe pour la box internet.",
        "draft": "Bonjour {name_ph}, intervention du technicien confirmée le {date2} à {time}. Référence : {ticket}.",
        "paraphrases": [
            "Bonjour {name_ph}, merci de nous avoir signalé le problème de box ; je comprends que vous ayez hâte que ce soit réglé. Je vous confirme l'intervention du technicien le {date2} à {time}. Votre référence est {ticket}, au cas où vous auriez besoin de la modifier. Répondez à ce message pour toute question.",
            "Bonjour {name_ph}, désolé pour ces soucis de connexion. Le technicien passera bien le {date2} à {time} ; la référence de l'intervention est {ticket}. Je reste à votre disposition si besoin.",
        ],
        "negations": [],
    },
    {
        "id": "subscription-renewal",
        "tags": ["subscription"],
        "customer": "Quand est-ce que mon abonnement se renouvelle, et à quel prix ?",
        "draft": "Votre abonnement sera renouvelé le {date} pour {money}. Résiliation possible avant cette date sur {url}.",
        "paraphrases": [
            "Merci de vous renseigner avant le renouvellement, c'est bien normal de vouloir y voir clair. Votre abonnement sera renouvelé le {date} pour {money}. Si vous préférez le résilier, vous pouvez le faire avant cette date sur {url}. Pour toute autre question, répondez simplement à ce message.",
            "Bonne question, et je comprends que vous vouliez savoir exactement ce qui sera prélevé. Le renouvellement de votre abonnement aura lieu le {date}, pour un montant de {money}. Vous pouvez le résilier avant cette date sur {url}. Je reste à votre disposition.",
        ],
        "negations": [],
    },
    {
        "id": "subscription-cancelled",
        "tags": ["subscription", "negation", "placeholder"],
        "customer": "Je veux résilier, je n'utilise plus le service.",
        "draft": "Bonjour {name_ph}, abonnement résilié. Vous ne serez plus prélevé ; l'accès reste actif jusqu'au {date}. Confirmation envoyée à {email}.",
        "paraphrases": [
            "Bonjour {name_ph}, je suis désolé que le service ne vous ait pas convenu, et merci de nous avoir fait confiance. J'ai résilié votre abonnement : vous ne serez plus prélevé, et votre accès reste actif jusqu'au {date}. La confirmation a été envoyée à {email}. Si vous changez d'avis, nous serons ravis de vous retrouver.",
            "Bonjour {name_ph}, merci de nous avoir prévenus. Votre abonnement est bien résilié et vous ne serez plus prélevé ; vous gardez l'accès jusqu'au {date}. Vous trouverez la confirmation à l'adresse {email}. Je reste à votre disposition pour toute question.",
        ],
        "negations": ["ne serez plus prélevé"],
    },
    {
        "id": "promo-code",
        "tags": ["billing"],
        "customer": "Vous m'avez facturé la livraison deux fois, je suis vraiment agacé.",
        "draft": "Utilisez le code {code} pour {percent} de réduction sur votre prochaine commande, valable jusqu'au {date2}.",
        "paraphrases": [
            "Je comprends votre agacement face à cette double facturation, et je vous présente nos excuses. Vous pouvez utiliser le code {code} pour bénéficier de {percent} de réduction sur votre prochaine commande ; il est valable jusqu'au {date2}. Si le code pose le moindre problème, écrivez-nous.",
            "Je suis vraiment désolé pour ce double prélèvement. Avec le code {code}, vous profitez de {percent} de réduction sur votre prochaine commande, jusqu'au {date2}. Je reste disponible pour toute autre demande.",
        ],
        "negations": [],
    },
    {
        "id": "invoice-sent",
        "tags": ["billing", "placeholder"],
        "customer": "Il me faudrait la facture de mon dernier achat pour ma société.",
        "draft": "Bonjour {name_ph}, facture {invoice} de {money} envoyée à {email}. Paiement à effectuer sous {duration}.",
        "paraphrases": [
            "Bonjour {name_ph}, bien sûr, je comprends que vous en ayez besoin pour votre comptabilité. Je vous ai envoyé la facture {invoice} de {money} à l'adresse {email}. Le paiement est à effectuer sous {duration}. Si vous ne la trouvez pas, pensez à vérifier vos courriers indésirables ou répondez à ce message.",
            "Bonjour {name_ph}, merci pour votre message. La facture {invoice}, d'un montant de {money}, vient de partir vers {email}, et le règlement est attendu sous {duration}. Je reste à votre disposition pour toute autre demande.",
        ],
        "negations": [],
    },
    {
        "id": "callback",
        "tags": ["appointment", "placeholder"],
        "customer": "Je préfère qu'on m'appelle, par écrit je n'y comprends rien.",
        "draft": "{agent_ph} vous appellera au {phone} {weekday} à {time}.",
        "paraphrases": [
            "Bien sûr, je comprends qu'un appel soit plus simple pour tout éclaircir. {agent_ph} vous appellera au {phone} {weekday} à {time}. Si ce créneau ne vous convient pas, répondez-nous et nous le décalerons.",
            "Merci de nous l'avoir dit ; parfois, un coup de fil rend les choses bien plus simples. {agent_ph} vous téléphonera {weekday} à {time}, au {phone}. S'il vous faut un autre horaire, dites-le-nous.",
        ],
        "negations": [],
    },
    {
        "id": "payment-reminder",
        "tags": ["billing"],
        "customer": "Je ne comprends pas pourquoi je reçois encore des relances.",
        "draft": "Ceci est la {ordinal} relance pour la facture {invoice}. Le montant de {money} est à régler avant le {date}.",
        "paraphrases": [
            "Je comprends que ces relances soient désagréables, et je vais tâcher d'être clair. Il s'agit de la {ordinal} relance pour la facture {invoice} : le montant de {money} est à régler avant le {date}. Si vous avez déjà payé, répondez-moi simplement avec le justificatif et je vérifierai.",
            "Désolé pour la confusion. Ce message est la {ordinal} relance concernant la facture {invoice}, dont le montant de {money} doit être réglé avant le {date}. Je reste à votre écoute pour toute question.",
        ],
        "negations": [],
    },
    {
        "id": "escalation",
        "tags": ["technical"],
        "customer": "Ça fait trois jours que l'appli plante à chaque connexion !",
        "draft": "Ticket {ticket} transmis à l'équipe technique ; réponse sous {duration}. État du service : {url}",
        "paraphrases": [
            "Je suis vraiment désolé que l'application plante à chaque connexion, c'est très pénible au quotidien. J'ai transmis le ticket {ticket} à l'équipe technique, qui vous répondra sous {duration}. En attendant, vous pouvez suivre l'état du service sur {url}.",
            "Merci de votre patience, je sais que ces plantages sont exaspérants. Votre ticket {ticket} est entre les mains de l'équipe technique, et vous aurez une réponse sous {duration}. L'état du service est mis à jour sur {url}.",
        ],
        "negations": [],
    },
    {
        "id": "partial-refund-damaged",
        "tags": ["refund"],
        "customer": "Plusieurs verres sont arrivés cassés, je veux être remboursé pour ceux-là.",
        "draft": "Remboursement partiel de {money} effectué pour les articles abîmés de la commande {order}. Confirmation envoyée à {email}.",
        "paraphrases": [
            "Je suis navré que plusieurs verres soient arrivés cassés, ce n'est vraiment pas agréable à découvrir. J'ai effectué un remboursement partiel de {money} pour les articles abîmés de la commande {order}, et une confirmation a été envoyée à {email}. Si quelque chose ne va pas, répondez-moi.",
            "Merci de nous avoir prévenus pour les verres cassés, et désolé que votre colis soit arrivé dans cet état. Un remboursement partiel de {money} a été effectué pour les articles abîmés de la commande {order} ; vous trouverez la confirmation à l'adresse {email}. Je reste à votre disposition.",
        ],
        "negations": [],
    },
]

# ---------------------------------------------------------------------------------- German

DE_SLOTS = {
    "order": [("#4821", "4821"), ("#100734",), ("#A-5512",), ("#88213", "88213")],
    "money": [("12,50 €", "12,50 EUR", "EUR 12,50"), ("49,90 €", "49,90 Euro"), ("1.234,56 €", "1234,56 €"),
              ("CHF 12.50", "12.50 CHF"), ("89 €", "89,00 €")],
    "money2": [("5,00 €", "5 €"), ("3,50 €",), ("19,99 €", "19,99 EUR")],
    "percent": [("15 %", "15 Prozent"), ("20 %",), ("7,5 %",)],
    "date": [("3. März", "03.03."), ("15. Juni 2026", "15.06.2026"), ("1. Oktober", "1. Okt."),
             ("24. Dezember", "24.12.")],
    "date2": [("14. April", "14.04."), ("20. Juli 2026",), ("9. September", "9. Sept.")],
    "weekday": [("Montag",), ("Freitag",), ("Mittwoch",)],
    "time": [("14:30 Uhr", "14.30 Uhr", "14:30"), ("9 Uhr", "09:00 Uhr"), ("17:00 Uhr", "17 Uhr")],
    "duration": [("3–5 Werktage", "3 bis 5 Werktage"), ("48 Stunden",), ("2 Wochen", "zwei Wochen"), ("30 Tage",),
                 ("7–10 Werktage", "7 bis 10 Arbeitstage")],
    "phone": [("+49 30 1234567",), ("+49 89 12345678",), ("+41 44 668 18 00",)],
    "ordinal": [("3.",), ("2.",), ("4.",)],
}
DE_VAGUE = {
    "name_ph": "zusammen", "agent_ph": "jemand aus dem Team", "order": "Ihre Bestellung", "tracking": "die Sendungsnummer",
    "invoice": "die Rechnung", "ticket": "Ihr Vorgang", "money": "den Betrag", "money2": "die Gebühr",
    "percent": "einen Rabatt", "date": "diesem Datum", "date2": "dem genannten Datum", "weekday": "diese Woche",
    "time": "später", "duration": "einige Tage", "url": "unserer Hilfeseite", "email": "Ihr Postfach",
    "phone": "Ihre Nummer", "code": "dem Code", "ordinal": "erneute",
}
DE_ADDITIONS = {
    "add_url": " Den Stand können Sie unter https://updates.example.net/status verfolgen.",
    "add_amount": " Der Gesamtbetrag beläuft sich auf 15,00 €.",
    "add_date": " Das nächste Update erhalten Sie am 9. November.",
    "add_promise": " Außerdem sorge ich dafür, dass Sie für die Unannehmlichkeiten einen Rabatt auf Ihre nächste Bestellung bekommen.",
}
DE_FRAMES = [
    {
        "id": "refund-approved",
        "tags": ["refund", "placeholder"],
        "customer": "Ich habe den Mixer vor zwei Wochen zurückgeschickt und immer noch keine Erstattung bekommen!",
        "draft": "Hallo {name_ph}, Erstattung über {money} für Bestellung {order} genehmigt. Die Gutschrift auf Ihrer Karte dauert {duration}.",
        "paraphrases": [
            "Hallo {name_ph}, ich verstehe gut, wie ärgerlich es ist, nach der Rücksendung des Mixers so lange auf das Geld zu warten. Die gute Nachricht: Die Erstattung über {money} für Bestellung {order} ist genehmigt. Bis der Betrag auf Ihrer Karte erscheint, dauert es {duration}. Falls etwas nicht stimmt, antworten Sie einfach auf diese Nachricht.",
            "Hallo {name_ph}, vielen Dank für Ihre Geduld, und entschuldigen Sie, dass es so lange gedauert hat. Ich kann Ihnen bestätigen, dass wir die Erstattung über {money} für Bestellung {order} genehmigt haben; die Gutschrift auf Ihrer Karte dauert {duration}. Bei Fragen bin ich gerne für Sie da.",
        ],
        "negations": [],
    },
    {
        "id": "refund-denied-window",
        "tags": ["refund", "negation"],
        "customer": "Ich möchte die Jacke zurückgeben, die ich letzten Winter gekauft habe. Sie hat nie richtig gepasst.",
        "draft": "Bestellung {order} wurde am {date} zugestellt und kann nicht erstattet werden, da die Rückgabefrist {duration} beträgt. Richtlinie: {url}",
        "paraphrases": [
            "Es tut mir leid, dass die Jacke nie richtig gepasst hat, das ist wirklich ärgerlich. Ich habe mir Bestellung {order} angesehen: Sie wurde am {date} zugestellt, und da die Rückgabefrist {duration} beträgt, kann sie leider nicht erstattet werden. Mir ist klar, dass Sie sich eine andere Antwort erhofft haben. Die vollständige Richtlinie finden Sie unter {url}; bei Fragen antworten Sie gern auf diese Nachricht.",
            "Danke, dass Sie sich wegen der Jacke melden; ich verstehe, wie lästig ein schlecht sitzendes Kleidungsstück ist. Bestellung {order} wurde am {date} zugestellt, und unsere Rückgabefrist beträgt {duration}. Deshalb kann die Bestellung nicht erstattet werden, so leid es mir tut. Die Details der Richtlinie stehen unter {url}. Melden Sie sich gern, wenn Sie Fragen haben.",
        ],
        "negations": ["nicht erstattet werden"],
    },
    {
        "id": "shipping-delay",
        "tags": ["shipping"],
        "customer": "Wo bleibt mein Paket? Es sollte schon letzte Woche da sein.",
        "draft": "Bestellung {order} verzögert sich beim Versanddienstleister. Neuer voraussichtlicher Liefertermin: {date}. Sendungsnummer: {tracking}.",
        "paraphrases": [
            "Es tut mir leid, dass sich Ihr Paket verspätet; ich weiß, wie frustrierend das Warten ist. Bestellung {order} verzögert sich beim Versanddienstleister, und der neue voraussichtliche Liefertermin ist der {date}. Sie können die Sendung mit der Nummer {tracking} verfolgen. Bei Fragen antworten Sie einfach auf diese Nachricht.",
            "Danke für Ihre Geduld, ich kann Ihren Ärger über das verspätete Paket gut verstehen. Der Versanddienstleister hat Bestellung {order} verzögert und rechnet jetzt mit einer Zustellung am {date}. Ihre Sendungsnummer lautet {tracking}, falls Sie den Versand verfolgen möchten. Ich helfe Ihnen gern weiter.",
        ],
        "negations": [],
    },
    {
        "id": "technician-visit",
        "tags": ["appointment", "placeholder"],
        "customer": "Bitte schicken Sie einen Techniker, die Heizung funktioniert nicht mehr.",
        "draft": "Hallo {name_ph}, Technikertermin bestätigt für {weekday}, den {date2}, um {time}. Vorgangsnummer: {ticket}.",
        "paraphrases": [
            "Hallo {name_ph}, danke, dass Sie uns wegen der Heizung Bescheid gegeben haben; ich verstehe, dass das schnell gelöst werden muss. Ihr Technikertermin ist für {weekday}, den {date2}, um {time} bestätigt. Ihre Vorgangsnummer lautet {ticket}, falls Sie den Termin ändern möchten. Bei Fragen antworten Sie einfach auf diese Nachricht.",
            "Hallo {name_ph}, es tut mir leid, dass Sie Ärger mit der Heizung haben. Der Techniker kommt am {weekday}, den {date2}, um {time}; die Vorgangsnummer dafür ist {ticket}. Ich bin gern für Sie da, wenn Sie noch etwas brauchen.",
        ],
        "negations": [],
    },
    {
        "id": "subscription-renewal",
        "tags": ["subscription"],
        "customer": "Wann verlängert sich mein Abo und was kostet es?",
        "draft": "Ihr Abonnement verlängert sich am {date} für {money}. Kündigung vorher unter {url} möglich.",
        "paraphrases": [
            "Danke, dass Sie vor der Verlängerung nachfragen, das ist völlig verständlich. Ihr Abonnement verlängert sich am {date} für {money}. Wenn Sie es lieber kündigen möchten, ist das vorher unter {url} möglich. Bei weiteren Fragen antworten Sie einfach auf diese Nachricht.",
            "Gute Frage, und ich verstehe, dass Sie genau wissen möchten, was abgebucht wird. Die Verlängerung Ihres Abonnements erfolgt am {date}, und zwar für {money}. Bis dahin können Sie unter {url} kündigen. Ich helfe Ihnen gern weiter.",
        ],
        "negations": [],
    },
    {
        "id": "subscription-cancelled",
        "tags": ["subscription", "negation", "placeholder"],
        "customer": "Ich möchte kündigen, ich nutze den Dienst nicht mehr.",
        "draft": "Hallo {name_ph}, Abonnement gekündigt. Es erfolgen keine weiteren Abbuchungen; der Zugang bleibt bis zum {date} aktiv. Bestätigung an {email} gesendet.",
        "paraphrases": [
            "Hallo {name_ph}, schade, dass der Dienst nicht das Richtige für Sie war, und danke für Ihr Vertrauen. Ich habe Ihr Abonnement gekündigt. Es erfolgen keine weiteren Abbuchungen, und Ihr Zugang bleibt bis zum {date} aktiv. Die Bestätigung haben wir an {email} gesendet. Falls Sie es sich anders überlegen, sind wir gern wieder für Sie da.",
            "Hallo {name_ph}, danke für Ihre Nachricht. Ihr Abonnement ist gekündigt, es erfolgen keine weiteren Abbuchungen, und Sie können den Dienst noch bis zum {date} nutzen. Die Bestätigung finden Sie unter {email}. Melden Sie sich gern, wenn Sie noch Fragen haben.",
        ],
        "negations": ["keine weiteren Abbuchungen"],
    },
    {
        "id": "promo-code",
        "tags": ["billing"],
        "customer": "Sie haben mir den Versand doppelt berechnet, ich bin ziemlich verärgert.",
        "draft": "Mit dem Code {code} erhalten Sie {percent} Rabatt auf Ihre nächste Bestellung, gültig bis {date2}.",
        "paraphrases": [
            "Ich verstehe Ihren Ärger über die doppelte Berechnung und entschuldige mich dafür. Mit dem Code {code} erhalten Sie {percent} Rabatt auf Ihre nächste Bestellung; der Code ist bis {date2} gültig. Falls er nicht funktioniert, schreiben Sie uns einfach.",
            "Das mit der doppelten Abbuchung tut mir wirklich leid. Mit dem Code {code} bekommen Sie {percent} Rabatt auf Ihre nächste Bestellung, gültig bis {date2}. Ich bin gern für Sie da, wenn Sie noch etwas brauchen.",
        ],
        "negations": [],
    },
    {
        "id": "invoice-sent",
        "tags": ["billing", "placeholder"],
        "customer": "Ich brauche die Rechnung meines letzten Einkaufs für meine Firma.",
        "draft": "Hallo {name_ph}, Rechnung {invoice} über {money} an {email} gesendet. Zahlungsziel: {duration}.",
        "paraphrases": [
            "Hallo {name_ph}, natürlich, ich verstehe, dass Sie die Rechnung für Ihre Buchhaltung brauchen. Ich habe die Rechnung {invoice} über {money} an {email} gesendet. Das Zahlungsziel beträgt {duration}. Falls Sie sie nicht finden, sehen Sie bitte im Spam-Ordner nach oder antworten Sie auf diese Nachricht.",
            "Hallo {name_ph}, danke für Ihre Anfrage. Die Rechnung {invoice} über {money} ist an {email} unterwegs. Für die Zahlung haben Sie {duration} Zeit. Bei weiteren Fragen bin ich gern für Sie da.",
        ],
        "negations": [],
    },
    {
        "id": "callback",
        "tags": ["appointment", "placeholder"],
        "customer": "Können Sie mich bitte anrufen? Schriftlich komme ich nicht weiter.",
        "draft": "{agent_ph} ruft Sie am {weekday} um {time} unter {phone} an.",
        "paraphrases": [
            "Sehr gern, telefonisch lässt sich vieles leichter klären. {agent_ph} ruft Sie am {weekday} um {time} unter {phone} an. Falls Ihnen der Termin nicht passt, antworten Sie einfach, dann finden wir einen anderen.",
            "Danke für den Hinweis, ein Gespräch macht vieles einfacher. Am {weekday} um {time} meldet sich {agent_ph} telefonisch bei Ihnen, und zwar unter {phone}. Wenn Ihnen eine andere Uhrzeit lieber ist, sagen Sie uns einfach Bescheid.",
        ],
        "negations": [],
    },
    {
        "id": "shipping-fee-refund",
        "tags": ["refund", "shipping"],
        "customer": "Das Paket kam zu spät, ich möchte die Versandkosten zurück.",
        "draft": "Versandkosten von {money2} für Bestellung {order} erstattet, zusammen mit dem Expresszuschlag von {money}.",
        "paraphrases": [
            "Es tut mir leid, dass Ihr Paket zu spät kam, zumal Sie für einen schnelleren Versand bezahlt haben. Wir haben die Versandkosten von {money2} für Bestellung {order} erstattet, zusammen mit dem Expresszuschlag von {money}. Wenn etwas nicht passt, antworten Sie einfach auf diese Nachricht.",
            "Ich verstehe, wie enttäuschend eine verspätete Lieferung ist, und danke Ihnen für den Hinweis. Die Versandkosten von {money2} für Bestellung {order} sind erstattet, ebenso der Expresszuschlag von {money}. Ich bin gern für Sie da, falls Sie noch Fragen haben.",
        ],
        "negations": [],
    },
    {
        "id": "escalation",
        "tags": ["technical"],
        "customer": "Ich melde diesen Fehler jetzt schon zum dritten Mal und niemand antwortet!",
        "draft": "Dies ist Ihre {ordinal} Meldung zu diesem Fehler. Ticket {ticket} an das Technikteam eskaliert. Bearbeitungszeit: {duration}. Status: {url}",
        "paraphrases": [
            "Es tut mir sehr leid, dass Sie sich erneut melden müssen; dies ist bereits Ihre {ordinal} Meldung zu diesem Fehler, und Ihr Ärger ist absolut verständlich. Ich habe Ticket {ticket} an das Technikteam eskaliert. Die Bearbeitungszeit beträgt {duration}. Den aktuellen Status finden Sie unter {url}.",
            "Sie haben völlig recht, verärgert zu sein: Es ist schon Ihre {ordinal} Meldung zu diesem Fehler. Ticket {ticket} liegt jetzt beim Technikteam; die Bearbeitung dauert {duration}. Über {url} können Sie den Status verfolgen. Danke für Ihre Geduld.",
        ],
        "negations": [],
    },
    {
        "id": "warranty-water",
        "tags": ["refund", "negation"],
        "customer": "Mein Handy ist ins Wasser gefallen und geht nicht mehr an. Ist das ein Garantiefall?",
        "draft": "Wasserschäden sind nicht von der Garantie abgedeckt. Eine kostenpflichtige Reparatur für {money} können Sie unter {url} mit Bestellung {order} beauftragen.",
        "paraphrases": [
            "Es tut mir leid, was mit Ihrem Handy passiert ist; ich weiß, wie wichtig es im Alltag ist. Leider sind Wasserschäden nicht von der Garantie abgedeckt. Sie können aber unter {url} eine kostenpflichtige Reparatur für {money} beauftragen, wenn Sie Bestellung {order} angeben. Bei Fragen zum Formular helfe ich Ihnen gern.",
            "Ich verstehe, wie ärgerlich ein defektes Handy ist. Wasserschäden sind leider nicht von der Garantie abgedeckt, aber unter {url} können Sie mit Bestellung {order} eine kostenpflichtige Reparatur für {money} in Auftrag geben. Melden Sie sich gern, wenn Sie dabei Unterstützung brauchen.",
        ],
        "negations": ["nicht von der Garantie abgedeckt"],
    },
]

# ------------------------------------------------------------------------------ Portuguese

PT_SLOTS = {
    "order": [("#4821", "4821"), ("#100734",), ("#A-5512",), ("#88213", "88213")],
    "money": [("R$ 49,90", "49,90 R$", "BRL 49,90"), ("R$ 1.234,56", "R$ 1234,56"), ("12,50 €", "€ 12,50"),
              ("R$ 89,00", "89 reais"), ("R$ 15", "R$ 15,00")],
    "money2": [("R$ 5,00", "R$ 5"), ("R$ 3,50",), ("R$ 19,99", "19,99 reais")],
    "percent": [("15%", "15 por cento"), ("20%",), ("7,5%",)],
    "date": [("3 de março", "03/03"), ("15 de junho de 2026", "15/06/2026"), ("1º de outubro", "1 de outubro"),
             ("12 de maio", "12/05")],
    "date2": [("14 de abril", "14/04"), ("20 de julho de 2026",), ("9 de setembro", "9 de set.")],
    "weekday": [("segunda-feira", "segunda"), ("sexta-feira", "sexta"), ("quarta-feira",)],
    "time": [("14h", "14:00"), ("9h30", "09:30"), ("18h", "18 horas")],
    "duration": [("3 a 5 dias úteis", "3-5 dias úteis"), ("48 horas",), ("2 semanas", "duas semanas"), ("30 dias",),
                 ("7 a 10 dias úteis", "7-10 dias úteis")],
    "phone": [("+55 11 91234-5678",), ("+55 21 3456-7890",), ("+351 912 345 678",)],
    "ordinal": [("3ª", "3.ª"), ("2ª",), ("4ª", "4.ª")],
}
PT_VAGUE = {
    "name_ph": "cliente", "agent_ph": "alguém da equipe", "order": "seu pedido", "tracking": "o código de rastreio",
    "invoice": "a nota", "ticket": "seu chamado", "money": "o valor", "money2": "a taxa", "percent": "um desconto",
    "date": "essa data", "date2": "a data combinada", "weekday": "semana", "time": "mais tarde",
    "duration": "alguns dias", "url": "nossa página de ajuda", "email": "seu e-mail", "phone": "seu telefone",
    "code": "o código", "ordinal": "nova",
}
PT_ADDITIONS = {
    "add_url": " Você pode acompanhar em https://updates.example.net/status.",
    "add_amount": " O total fica em R$ 27,40.",
    "add_date": " Enviaremos a próxima atualização em 9 de novembro.",
    "add_promise": " Também vou garantir que você receba um desconto no próximo pedido pelo transtorno.",
}
PT_FRAMES = [
    {
        "id": "refund-approved",
        "tags": ["refund", "placeholder"],
        "customer": "Devolvi o liquidificador há duas semanas e até agora nada do reembolso!",
        "draft": "Olá {name_ph}, reembolso de {money} do pedido {order} aprovado. Cai no seu cartão em {duration}.",
        "paraphrases": [
            "Olá {name_ph}, entendo como é frustrante esperar pelo reembolso depois de devolver o liquidificador. Tenho uma boa notícia: o reembolso de {money} do pedido {order} foi aprovado e cai no seu cartão em {duration}. Se algo parecer errado, é só responder esta mensagem.",
            "Olá {name_ph}, obrigado pela paciência, e desculpe a demora desde que você enviou o liquidificador de volta. Confirmo que o reembolso de {money} do pedido {order} foi aprovado; o valor vai aparecer no seu cartão em {duration}. Qualquer dúvida, estou à disposição.",
        ],
        "negations": [],
    },
    {
        "id": "refund-denied-window",
        "tags": ["refund", "negation"],
        "customer": "Quero devolver a jaqueta que comprei no inverno passado, ela nunca serviu direito.",
        "draft": "O pedido {order} foi entregue em {date} e não pode ser reembolsado, pois o prazo de devolução é de {duration}. Política: {url}",
        "paraphrases": [
            "Sinto muito que a jaqueta nunca tenha servido direito, isso é realmente chato. Verifiquei o pedido {order}: ele foi entregue em {date} e, como o prazo de devolução é de {duration}, não pode ser reembolsado. Sei que não é a resposta que você esperava. Você pode ler a política completa em {url} e, se tiver qualquer dúvida, é só responder esta mensagem.",
            "Obrigado por falar com a gente sobre a jaqueta; entendo como é incômodo quando uma peça não veste bem. O pedido {order} foi entregue em {date}, e o nosso prazo de devolução é de {duration}, então infelizmente ele não pode ser reembolsado. Os detalhes da política estão em {url}. Fico à disposição para qualquer dúvida.",
        ],
        "negations": ["não pode ser reembolsado"],
    },
    {
        "id": "shipping-delay",
        "tags": ["shipping"],
        "customer": "Cadê meu pacote? Era para ter chegado semana passada.",
        "draft": "O pedido {order} está atrasado na transportadora. Nova previsão: {date}. Rastreio: {tracking}.",
        "paraphrases": [
            "Sinto muito pelo atraso do seu pacote; sei como é frustrante esperar por algo que já deveria ter chegado. O pedido {order} está atrasado na transportadora, e a nova previsão de entrega é {date}. Você pode acompanhar pelo código de rastreio {tracking}. Se tiver qualquer dúvida, é só responder esta mensagem.",
            "Obrigado pela paciência, entendo totalmente a sua irritação com o atraso. A transportadora atrasou o pedido {order} e agora prevê a entrega para {date}. O seu código de rastreio é {tracking}, caso queira acompanhar o envio. Estou aqui para o que precisar.",
        ],
        "negations": [],
    },
    {
        "id": "technician-visit",
        "tags": ["appointment", "placeholder"],
        "customer": "Preciso que um técnico venha ver o ar-condicionado.",
        "draft": "Olá {name_ph}, visita técnica confirmada para {date2} às {time}. Protocolo: {ticket}.",
        "paraphrases": [
            "Olá {name_ph}, obrigado por avisar sobre o ar-condicionado; entendo que você queira resolver isso logo. Confirmo a visita técnica para {date2} às {time}. O seu protocolo é {ticket}, caso precise remarcar. Se tiver alguma dúvida, é só responder esta mensagem.",
            "Olá {name_ph}, sinto muito pelo transtorno com o ar-condicionado. A visita do técnico está confirmada: será em {date2}, às {time}, com o protocolo {ticket}. Estou à disposição para o que precisar.",
        ],
        "negations": [],
    },
    {
        "id": "subscription-renewal",
        "tags": ["subscription"],
        "customer": "Quando a minha assinatura renova e quanto vou pagar?",
        "draft": "Sua assinatura renova em {date} por {money}. Cancele antes em {url}.",
        "paraphrases": [
            "Obrigado por perguntar antes da renovação, faz todo o sentido querer ter isso claro. A sua assinatura renova em {date} por {money}. Se preferir cancelar, você pode fazer isso antes dessa data em {url}. Qualquer outra dúvida, é só responder esta mensagem.",
            "Boa pergunta, e entendo que você queira saber exatamente o que será cobrado. A renovação da sua assinatura acontece em {date}, no valor de {money}. Você pode cancelar antes em {url}. Fico à disposição.",
        ],
        "negations": [],
    },
    {
        "id": "subscription-cancelled",
        "tags": ["subscription", "negation", "placeholder"],
        "customer": "Quero cancelar, não uso mais o serviço.",
        "draft": "Olá {name_ph}, assinatura cancelada. Não haverá novas cobranças; o acesso continua até {date}. Confirmação enviada para {email}.",
        "paraphrases": [
            "Olá {name_ph}, que pena que o serviço não atendeu às suas necessidades, e obrigado por ter ficado com a gente. Cancelei a sua assinatura. Não haverá novas cobranças e o seu acesso continua até {date}. Enviamos a confirmação para {email}. Se mudar de ideia, estaremos por aqui.",
            "Olá {name_ph}, obrigado por avisar. A sua assinatura já está cancelada e não haverá novas cobranças; você pode continuar usando o serviço até {date}. A confirmação foi enviada para o e-mail {email}. Qualquer coisa, é só responder esta mensagem.",
        ],
        "negations": ["Não haverá novas cobranças"],
    },
    {
        "id": "promo-code",
        "tags": ["billing"],
        "customer": "Vocês cobraram o frete duas vezes, estou bem chateado.",
        "draft": "Use o cupom {code} para ganhar {percent} de desconto no próximo pedido, válido até {date2}.",
        "paraphrases": [
            "Entendo a sua chateação com a cobrança dupla do frete e peço desculpas. Você pode usar o cupom {code} para ganhar {percent} de desconto no próximo pedido; ele é válido até {date2}. Se tiver qualquer problema para aplicar, é só nos escrever.",
            "Sinto muito pela cobrança em dobro. Com o cupom {code}, você ganha {percent} de desconto no seu próximo pedido, válido até {date2}. Estou à disposição para o que precisar.",
        ],
        "negations": [],
    },
    {
        "id": "invoice-sent",
        "tags": ["billing", "placeholder"],
        "customer": "Preciso da nota fiscal da minha última compra para a empresa.",
        "draft": "Olá {name_ph}, nota fiscal {invoice} de {money} enviada para {email}. Vencimento em {duration}.",
        "paraphrases": [
            "Olá {name_ph}, claro, entendo que você precise dela para a contabilidade da empresa. Enviei a nota fiscal {invoice} de {money} para {email}. O vencimento é em {duration}. Se não encontrar, dê uma olhada na pasta de spam ou responda esta mensagem.",
            "Olá {name_ph}, obrigado pelo contato. A nota fiscal {invoice}, no valor de {money}, já foi enviada para {email}, com vencimento em {duration}. Fico à disposição se precisar de mais alguma coisa.",
        ],
        "negations": [],
    },
    {
        "id": "callback",
        "tags": ["appointment", "placeholder"],
        "customer": "Prefiro que me liguem, por escrito não estou entendendo nada.",
        "draft": "{agent_ph} vai ligar para você no {phone} na {weekday} às {time}.",
        "paraphrases": [
            "Claro, entendo que por telefone fique mais fácil esclarecer tudo. {agent_ph} vai ligar para você no {phone} na {weekday} às {time}. Se esse horário não for bom, é só responder e a gente remarca.",
            "Obrigado por avisar; às vezes uma ligação facilita muito. {agent_ph} vai te ligar na {weekday}, às {time}, no número {phone}. Se precisar de outro horário, é só dizer.",
        ],
        "negations": [],
    },
    {
        "id": "shipping-fee-refund",
        "tags": ["refund", "shipping"],
        "customer": "O pacote chegou atrasado, quero o valor do frete de volta.",
        "draft": "Frete de {money2} do pedido {order} reembolsado, junto com a taxa expressa de {money}.",
        "paraphrases": [
            "Sinto muito que o pacote tenha chegado atrasado, ainda mais depois de você pagar por uma entrega mais rápida. Reembolsamos o frete de {money2} do pedido {order}, junto com a taxa expressa de {money}. Se algo parecer errado, é só responder esta mensagem.",
            "Entendo como é decepcionante um atraso desses, e obrigado por nos avisar. O frete de {money2} do pedido {order} foi reembolsado, assim como a taxa expressa de {money}. Estou à disposição para qualquer dúvida.",
        ],
        "negations": [],
    },
    {
        "id": "escalation",
        "tags": ["technical"],
        "customer": "É a terceira vez que escrevo sobre o mesmo erro e ninguém responde!",
        "draft": "Esta é a sua {ordinal} reclamação sobre este erro. Chamado {ticket} escalado para a equipe técnica, com resposta em {duration}. Status: {url}",
        "paraphrases": [
            "Sinto muito que você precise escrever de novo; esta é a sua {ordinal} reclamação sobre este erro, e a sua frustração é totalmente compreensível. Escalei o chamado {ticket} para a equipe técnica, que vai responder em {duration}. Enquanto isso, você pode acompanhar o status em {url}.",
            "Você tem toda a razão de estar chateado: já é a sua {ordinal} reclamação sobre este erro. O chamado {ticket} foi escalado para a equipe técnica, e a resposta chega em {duration}. O status do serviço fica em {url}. Obrigado pela paciência.",
        ],
        "negations": [],
    },
    {
        "id": "warranty-water",
        "tags": ["refund", "negation"],
        "customer": "Meu celular caiu na água e não liga mais. A garantia cobre?",
        "draft": "A garantia não cobre danos causados por água. Você pode solicitar um reparo pago de {money} em {url} informando o pedido {order}.",
        "paraphrases": [
            "Sinto muito pelo que aconteceu com o seu celular; sei o quanto ele é importante no dia a dia. Infelizmente, a garantia não cobre danos causados por água. O que você pode fazer é solicitar um reparo pago de {money} em {url}, informando o pedido {order}. Se tiver dúvidas com o formulário, é só responder esta mensagem.",
            "Entendo como é frustrante ficar com o celular estragado. Danos causados por água, infelizmente, não são cobertos pela garantia, mas você pode pedir um reparo pago de {money} em {url} com o número do pedido {order}. Estou aqui se precisar de ajuda com a solicitação.",
        ],
        "negations": ["não cobre"],
    },
]


def _named_date(name: str, separator: str):
    numeric = _numeric_date(separator)
    return lambda value: numeric(value) or name


LANGUAGES = {
    "es": {"frames": ES_FRAMES, "slots": ES_SLOTS, "vague": ES_VAGUE, "additions": ES_ADDITIONS,
           "flips": [(r"\bno\s+", "")], "other_amount": "63,00", "other_date": _named_date("9 de noviembre", "/")},
    "fr": {"frames": FR_FRAMES, "slots": FR_SLOTS, "vague": FR_VAGUE, "additions": FR_ADDITIONS,
           "flips": [(r"\bne\s+(\S+)\s+pas\b", r"\1"), (r"\bne\s+(\S+)\s+plus\b", r"\1 encore"),
                     (r"\bn'(\S+)\s+pas\b", r"\1")],
           "other_amount": "63,00", "other_date": _named_date("9 novembre", "/")},
    "de": {"frames": DE_FRAMES, "slots": DE_SLOTS, "vague": DE_VAGUE, "additions": DE_ADDITIONS,
           "flips": [(r"\bnicht\s+", ""), (r"\bkeine?\s+", "")], "other_amount": "63,00",
           "other_date": _named_date("9. November", ".")},
    "pt": {"frames": PT_FRAMES, "slots": PT_SLOTS, "vague": PT_VAGUE, "additions": PT_ADDITIONS,
           "flips": [(r"\bnão\s+", "")], "other_amount": "63,00", "other_date": _named_date("9 de novembro", "/")},
}
