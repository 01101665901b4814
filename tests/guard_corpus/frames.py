"""Scenario frames for the fact-guard test corpus.

Each frame holds a curt agent draft with ``{slot}`` markers, the customer's
message (or None) and two faithful, empathetic paraphrases of the draft.  A
builder script fills the slots and corrupts the paraphrases to test the guard.
"""

FRAMES = [
    # ------------------------------------------------------------------ refunds
    {
        "id": "refund-approved",
        "tags": ["refund", "placeholder"],
        "customer": "I returned the blender two weeks ago and still have no refund!",
        "draft": "Hi {name_ph}, refund of {money} for order {order} approved. Reaches your card in {duration}.",
        "paraphrases": [
            "Hi {name_ph}, I understand how frustrating it is to wait for a refund after returning the blender. Good news: your refund of {money} for order {order} has been approved, and it will reach your card in {duration}. If anything looks wrong, just reply here and I'll look into it.",
            "Hello {name_ph}, thank you for your patience while you waited on this, and I'm sorry it took so long after you sent the blender back. I'm happy to confirm that the refund of {money} for order {order} is approved and will reach your card in {duration}. Please reply to this message if you have any questions.",
        ],
        "negations": [],
    },
    {
        "id": "refund-partial-damaged",
        "tags": ["refund"],
        "customer": "Some of the glasses in my box arrived smashed. I want my money back for those.",
        "draft": "Partial refund of {money} issued for the damaged items in order {order}. Confirmation sent to {email}.",
        "paraphrases": [
            "I'm so sorry some of the glasses arrived smashed, that's a disappointing thing to open. I've issued a partial refund of {money} for the damaged items in order {order}, and a confirmation has been sent to {email}. If anything about it looks off, just reply and let me know.",
            "Thank you for letting us know about the broken glasses, and I'm sorry your order arrived in that state. A partial refund of {money} has been issued for the damaged items in order {order}, and you'll find the confirmation in your inbox at {email}. Please reply here if you have any other questions.",
        ],
        "negations": [],
    },
    {
        "id": "refund-denied-return-window",
        "tags": ["refund", "negation"],
        "customer": "I want to return the jacket I bought last winter, it never fit right.",
        "draft": "Order {order} was delivered on {date} and is not eligible for a refund, as the return window is {duration}. Policy: {url}",
        "paraphrases": [
            "I'm sorry to hear the jacket has been a poor fit, that's really frustrating. I checked order {order}: it was delivered on {date}, and because our return window is {duration}, it is not eligible for a refund. I know this is disappointing news. You can read the full policy at {url} and if you have questions about it, just reply here.",
            "Thank you for reaching out about the jacket, and I understand how annoying it is when something fits poorly. Order {order} was delivered on {date}, and since the return window is {duration}, the order is not eligible for a refund. I'm sorry to bring disappointing news. The full policy is at {url} for reference, and I'm happy to answer any questions if you reply to this message.",
        ],
        "negations": ["not eligible for a refund"],
    },
    {
        "id": "refund-denied-digital-download",
        "tags": ["refund", "negation"],
        "customer": "I bought the e-book by mistake, please give me my money back.",
        "draft": "Digital downloads that have been opened can't be refunded. Order {order} for {money} was downloaded on {date}.",
        "paraphrases": [
            "I understand how frustrating an accidental purchase can be. I looked at order {order} for {money}, and it was downloaded on {date}. Digital downloads that have been opened cannot be refunded, and I'm sorry this is disappointing news. If you have any questions, just reply to this message.",
            "Thanks for explaining what happened, mistakes like this are easy to make. Order {order} for {money} shows as downloaded on {date}, and digital downloads that have been opened cannot be refunded. I know that's disappointing, and I'm sorry. Please reply here if there's anything else I can help with.",
        ],
        "negations": ["cannot be refunded"],
    },
    {
        "id": "refund-sent-bank-pending",
        "tags": ["refund"],
        "customer": "You said my refund was sent but my bank shows nothing.",
        "draft": "Refund of {money} was sent on {date}. Banks can take {duration} to show it. Reference: {ticket}.",
        "paraphrases": [
            "I understand how worrying it is to be told a refund is on its way and still be waiting to see it in your bank. The refund of {money} was sent on {date}, and banks can take {duration} to show it. For your records, the reference is {ticket}. Just reply here if you have any other questions.",
            "Thank you for checking with us, and I'm sorry for the worry this has caused. Your refund of {money} went out on {date}. Banks can take {duration} to show it on your account. Your reference is {ticket} in case you need it. Please reply to this message if you need anything else.",
        ],
        "negations": [],
    },
    {
        "id": "refund-store-credit",
        "tags": ["refund"],
        "customer": "I sent the dress back, what happens now?",
        "draft": "Return for order {order} received. Store credit of {money} added to your account, code {code}.",
        "paraphrases": [
            "Thanks for sending the dress back, and I appreciate your patience while the return was processed. Your return for order {order} has been received, and store credit of {money} has been added to your account under code {code}. If you have any questions, just reply here.",
            "I'm glad to let you know the dress has reached us. The return for order {order} is received, and we've added store credit of {money} to your account with code {code}. Please reply to this message if anything looks wrong.",
        ],
        "negations": [],
    },
    {
        "id": "refund-denied-used-item",
        "tags": ["refund", "negation"],
        "customer": "The headphones broke after a few weeks at the gym, I want my money back.",
        "draft": "We're unable to refund used items. For the defect, open a warranty claim at {url} with order {order}.",
        "paraphrases": [
            "I'm sorry your headphones broke, especially when you rely on them for your workouts. We are unable to refund used items, but for the defect you can open a warranty claim at {url} with order {order}. If the form gives you trouble, just reply here and I'll help.",
            "That's really frustrating, and I understand why you'd want your money back. Because the headphones have been used, we are unable to refund them; however, you can open a warranty claim for the defect at {url} with order {order}. Please reply here if you have any questions along the way.",
        ],
        "negations": ["unable to refund"],
    },
    {
        "id": "refund-shipping-fee",
        "tags": ["refund", "shipping"],
        "customer": "The package came late so I want the shipping cost back.",
        "draft": "Shipping fee of {money2} on order {order} refunded, along with the {money} express surcharge. Expect it in {duration}.",
        "paraphrases": [
            "I'm sorry your package arrived late, especially when you paid for faster delivery. The shipping fee of {money2} on order {order} has been refunded, along with the {money} express surcharge. You can expect it in {duration}. If anything looks off, just reply here.",
            "I understand how disappointing a late delivery is, and thank you for raising it. We've refunded the {money2} shipping fee on order {order}, together with the {money} express surcharge. It should arrive in {duration}. Please reply to this message if you have any questions.",
        ],
        "negations": [],
    },
    # ----------------------------------------------------------------- shipping
    {
        "id": "shipping-delay-carrier",
        "tags": ["shipping"],
        "customer": "Where is my package?? It was supposed to be here last week.",
        "draft": "Order {order} is delayed at the carrier. New estimate: {date}. Tracking: {tracking}.",
        "paraphrases": [
            "I'm sorry your package is running late, I know how frustrating it is to wait for something you expected already. Order {order} is delayed at the carrier, and the new estimated delivery date is {date}. You can follow it with tracking {tracking}. Just reply here if you have any questions.",
            "Thank you for your patience, and I completely understand the frustration of a late parcel. The carrier has delayed order {order}; their new estimate is {date}. Your tracking is {tracking} if you'd like to follow its progress. Please reply to this message if there's anything else I can do.",
        ],
        "negations": [],
    },
    {
        "id": "shipping-lost-parcel",
        "tags": ["shipping", "placeholder"],
        "customer": "Tracking says delivered but there's nothing at my door.",
        "draft": "Hi {name_ph}, carrier confirmed parcel {tracking} is lost. Order {order} will be reshipped at our expense; new tracking sent to {email} within {duration}.",
        "paraphrases": [
            "Hi {name_ph}, I'm so sorry, it's really upsetting to see a parcel marked delivered and find an empty doorstep. The carrier has confirmed that parcel {tracking} is lost. We'll reship order {order} at our expense, and the new tracking details will be sent to {email} within {duration}. If you have any questions meanwhile, just reply here.",
            "Hi {name_ph}, thank you for letting us know, and I understand how frustrating this must be. The carrier confirmed parcel {tracking} was lost, so order {order} will be reshipped at our expense. You'll receive the new tracking at {email} within {duration}. Please reply to this message if there's anything else I can help with.",
        ],
        "negations": [],
    },
    {
        "id": "shipping-address-change",
        "tags": ["shipping", "placeholder"],
        "customer": "I moved last week, can you send my order to my new address?",
        "draft": "Hi {name_ph}, address on order {order} updated. Ships {weekday}.",
        "paraphrases": [
            "Hi {name_ph}, congratulations on the move, and thanks for letting us know in time. I've updated the address on order {order}, and it ships {weekday}. If anything else needs changing, just reply here.",
            "Hi {name_ph}, moving is hectic enough, so I'm glad this part is sorted. The address on order {order} is updated, and the order ships {weekday}. Please reply to this message if you have any questions.",
        ],
        "negations": [],
    },
    {
        "id": "shipping-customs-duties",
        "tags": ["shipping"],
        "customer": "Why do I have to pay extra to get my parcel from customs?? Nobody told me about this.",
        "draft": "Import duties of {money} on parcel {tracking} are set by customs and paid to the carrier. Details: {url}",
        "paraphrases": [
            "I understand how unwelcome an unexpected charge is, especially when you're just waiting for your parcel. The import duties of {money} on parcel {tracking} are set by customs and paid to the carrier. You can read more about how this works at {url} and I'm happy to help if you reply with any questions.",
            "I'm sorry this came as a surprise. To explain: the {money} in import duties on parcel {tracking} is set by customs, and it's paid to the carrier. The details are at {url} for reference. Please reply to this message if anything is unclear.",
        ],
        "negations": [],
    },
    {
        "id": "shipping-cannot-expedite",
        "tags": ["shipping", "negation"],
        "customer": "I need this before my daughter's birthday, can you speed it up?",
        "draft": "Order {order} has already left the warehouse, so we can't upgrade the shipping. Expected delivery: {date}, tracking {tracking}.",
        "paraphrases": [
            "I completely understand wanting everything ready for your daughter's birthday. Order {order} has already left the warehouse, so we cannot upgrade the shipping at this point. The expected delivery is {date}, and you can follow it with tracking {tracking}. If you have any questions, just reply here.",
            "What a lovely reason to be checking in, and I understand the time pressure. Because order {order} has already left our warehouse, we cannot upgrade the shipping. It's expected to arrive on {date}, and tracking {tracking} will show its progress. Please reply to this message if there's anything else I can help with.",
        ],
        "negations": ["cannot upgrade the shipping"],
    },
    {
        "id": "shipping-split-remaining-items",
        "tags": ["shipping"],
        "customer": "I only got part of my order, where is the rest?",
        "draft": "The remaining items from order {order} ship separately, tracking {tracking}, estimated {date}.",
        "paraphrases": [
            "I understand the worry when a delivery looks incomplete. The remaining items from order {order} are shipping separately under tracking {tracking}, with an estimated arrival of {date}. Just reply here if you have any other questions.",
            "Thanks for checking, and I'm sorry for the confusion of receiving your order in pieces. The rest of order {order} ships separately; you can follow it with tracking {tracking}, and it's estimated for {date}. Please reply to this message if I can help with anything else.",
        ],
        "negations": [],
    },
    {
        "id": "shipping-backorder",
        "tags": ["shipping"],
        "customer": "Why hasn't my order arrived? I ordered ages ago.",
        "draft": "Part of order {order} shipped {date2}. The backordered item ships {date}, tracking to follow by email.",
        "paraphrases": [
            "I'm sorry for the long wait, I know it's frustrating to be left wondering. Part of order {order} shipped {date2}, and the backordered item ships {date}. The tracking details will follow by email. If you have any questions, just reply here.",
            "Thanks for your patience, and I understand the frustration of waiting. Your order {order} was partly shipped {date2}. The backordered item ships {date}, and the tracking will follow by email. Please reply to this message if I can help further.",
        ],
        "negations": [],
    },
    {
        "id": "shipping-pickup-point",
        "tags": ["shipping"],
        "customer": None,
        "draft": "Parcel {tracking} is at your pickup point until {time} on {date}. Bring ID and pickup code {code}.",
        "paraphrases": [
            "Good news: your parcel {tracking} is waiting for you at your pickup point, and it will be held there until {time} on {date}. When you go, please bring your ID and the pickup code {code}. If you have any questions, just reply here.",
            "Your parcel {tracking} has arrived at your pickup point and will stay there until {time} on {date}. To collect it, please bring ID along with pickup code {code}. Reply to this message if anything is unclear.",
        ],
        "negations": [],
    },
    # ------------------------------------------------------------------ billing
    {
        "id": "billing-double-charge",
        "tags": ["billing", "placeholder"],
        "customer": "You charged me twice for the same month!!",
        "draft": "Hi {name_ph}, duplicate charge of {money} on invoice {invoice} reversed. Shows on your statement in {duration}.",
        "paraphrases": [
            "Hi {name_ph}, I'm sorry about the duplicate charge, I know how alarming it is to see money taken unexpectedly. The duplicate charge of {money} on invoice {invoice} has been reversed, and it will show on your statement in {duration}. If anything looks off after that, just reply here.",
            "Hi {name_ph}, thank you for flagging this, and I understand the frustration. I've reversed the duplicate charge of {money} on invoice {invoice}. You'll see it on your statement in {duration}. Please reply to this message if you have any questions.",
        ],
        "negations": [],
    },
    {
        "id": "billing-wrong-amount",
        "tags": ["billing", "refund"],
        "customer": "My invoice says more than the price I saw on your website.",
        "draft": "Invoice {invoice} billed {money} instead of {money2}. Corrected invoice sent to {email}; the difference is refunded in {duration}.",
        "paraphrases": [
            "Thank you for catching this, and I'm sorry for the confusion. Invoice {invoice} billed {money} instead of {money2}. A corrected invoice has been sent to {email}, and the difference is refunded in {duration}. Just reply here if anything still looks wrong.",
            "I understand how frustrating it is to be billed more than you expected. You're right: invoice {invoice} charged {money} instead of {money2}. I've sent a corrected invoice to {email}, and the difference is refunded in {duration}. Please reply to this message if you have any questions.",
        ],
        "negations": [],
    },
    {
        "id": "billing-price-increase",
        "tags": ["billing"],
        "customer": "Why did my subscription go up? Nobody asked me.",
        "draft": "Plans increased by {percent} on {date}, announced by email. Your new monthly price is {money}.",
        "paraphrases": [
            "I understand that a price change is unwelcome news, and I'm sorry it caught you by surprise. Our plans increased by {percent} on {date}, which was announced by email. Your new monthly price is {money}. If you have any questions about your plan, just reply here.",
            "Thanks for asking about this, and I understand the frustration. On {date}, plan prices went up by {percent}; we announced the change by email. Your monthly price is now {money}. Please reply to this message if I can help with anything else.",
        ],
        "negations": [],
    },
    {
        "id": "billing-failed-payment",
        "tags": ["billing", "account"],
        "customer": "My account says payment failed but my card is fine.",
        "draft": "Payment for invoice {invoice} failed with {code}. Please update your card at {url} before {date} to keep access.",
        "paraphrases": [
            "I'm sorry for the hassle, I know it's confusing when your card looks fine on your side. The payment for invoice {invoice} failed with {code}. To keep access, please update your card at {url} before {date}. If it gives you any trouble, just reply here.",
            "Thanks for reaching out, and I understand how frustrating a failed payment is. The payment for invoice {invoice} failed with {code} when we tried to process it. Please update your card at {url} before {date} so your access continues. Reply to this message if you have any questions.",
        ],
        "negations": [],
    },
    {
        "id": "billing-company-invoice",
        "tags": ["billing"],
        "customer": "I need an invoice with my company details for our accounting.",
        "draft": "Updated invoice {invoice} with your company details sent to {email}. Closing ticket {ticket}.",
        "paraphrases": [
            "Thanks for letting us know, I understand how important correct paperwork is for accounting. I've sent the updated invoice {invoice} with your company details to {email}, and I'm closing ticket {ticket}. If anything needs adjusting, just reply here.",
            "Happy to help with this. The updated invoice {invoice}, now including your company details, has been sent to {email}. I'm closing ticket {ticket}, and you can reply to this message if you need anything else.",
        ],
        "negations": [],
    },
    {
        "id": "billing-code-expired",
        "tags": ["billing", "negation"],
        "customer": "My promo code didn't work at checkout!",
        "draft": "Code {code} expired on {date}, so it can't be applied to order {order}. Current offer: {percent} off at {url}.",
        "paraphrases": [
            "I'm sorry the code caused trouble at checkout, that's frustrating. Code {code} expired on {date}, so it cannot be applied to order {order}. The current offer is {percent} off, and you can find it at {url} if you're interested. Just reply here if you have any questions.",
            "Thanks for reaching out, and I understand the disappointment. Code {code} expired on {date}, which means it cannot be applied to order {order}. Our current offer is {percent} off at {url} for reference. Please reply to this message if I can help with anything else.",
        ],
        "negations": ["cannot be applied"],
    },
    {
        "id": "billing-charged-after-cancel",
        "tags": ["billing", "cancellation", "angry", "complaint"],
        "customer": "I CANCELLED last month and you STILL charged me. This is theft.",
        "draft": "You're right, cancellation {ticket} was logged on {date} but the {money} charge went through. It's reversed; expect it in {duration}.",
        "paraphrases": [
            "You're right, and I completely understand why you're angry. Your cancellation {ticket} was logged on {date}, but the {money} charge still went through. That charge has been reversed, and you can expect it back in {duration}. I'm sorry for the stress this caused; just reply here if anything else looks wrong.",
            "I'm truly sorry, you had every reason to expect this to be settled. You're right that cancellation {ticket} was logged on {date}, and the {money} charge went through anyway. It has been reversed, and you should see it in {duration}. Please reply to this message if you have any questions.",
        ],
        "negations": [],
    },
    {
        "id": "billing-paypal-removed",
        "tags": ["billing", "negation"],
        "customer": "Why can't I pay with PayPal anymore?",
        "draft": "PayPal is no longer supported as of {date}. You can add a card at {url}.",
        "paraphrases": [
            "I understand how annoying it is when a payment method you rely on changes. PayPal is no longer supported as of {date}. You can add a card at {url} to keep paying as usual. If you have any questions, just reply here.",
            "Thanks for asking, and I'm sorry for the inconvenience. As of {date}, PayPal is no longer supported for payments. To continue, you can add a card at {url}. Please reply to this message if I can help with anything else.",
        ],
        "negations": ["no longer supported"],
    },
    {
        "id": "billing-plan-downgrade",
        "tags": ["billing"],
        "customer": "I downgraded my plan, why is my bill the same?",
        "draft": "Downgrade applied: your plan goes from {money} to {money2} per month starting {date}. This cycle's invoice {invoice} still shows the old price.",
        "paraphrases": [
            "I understand the confusion when the bill looks unchanged after a downgrade. Your downgrade is applied, and your plan goes from {money} to {money2} per month starting {date}. This cycle's invoice {invoice} still shows the old price. If you have any questions, just reply here.",
            "Thanks for checking, and I'm sorry for the confusion. The downgrade is in place: starting {date}, your plan moves from {money} to {money2} per month. The invoice {invoice} for this cycle still shows the old price. Please reply to this message if anything looks off.",
        ],
        "negations": [],
    },
    {
        "id": "billing-gift-wrap-extra",
        "tags": ["billing"],
        "customer": "Why did you charge me more than the item price?",
        "draft": "Order {order} totaled {money}: item price plus {money2} for gift wrapping, selected at checkout.",
        "paraphrases": [
            "I understand how confusing it is when the total is higher than you expected. Order {order} totaled {money}, which is the item price plus {money2} for the gift wrapping that was selected at checkout. If anything looks wrong, just reply here.",
            "Thanks for asking, and I'm sorry for the surprise. The {money} total for order {order} covers the item price plus {money2} for gift wrapping, which was selected at checkout. Please reply to this message if you have any questions.",
        ],
        "negations": [],
    },
    # ------------------------------------------------------------------ account
    {
        "id": "account-password-reset",
        "tags": ["account", "placeholder"],
        "customer": "I can't log in, the reset link never arrives.",
        "draft": "Hi {name_ph}, new reset link sent to {email}. It expires in {duration}.",
        "paraphrases": [
            "Hi {name_ph}, I'm sorry you've been locked out, that's really frustrating. I've sent a new reset link to {email}, and it expires in {duration}, so please use it before then. If it gives you any trouble, just reply here.",
            "Hi {name_ph}, I understand how annoying it is to wait on a reset link. A new link has been sent to {email}; please note it expires in {duration}. Reply to this message if you need anything else.",
        ],
        "negations": [],
    },
    {
        "id": "account-locked",
        "tags": ["account"],
        "customer": "My account is locked after too many attempts.",
        "draft": "Account unlocked. Sign in at {url}; if it locks again, call {phone}.",
        "paraphrases": [
            "I'm sorry you got locked out, I know how stressful that is. Your account is unlocked, and you can sign in at {url}. If it locks again, please call {phone}. Just reply here if anything else comes up.",
            "Thanks for your patience while we sorted this out. I've unlocked your account, so you can sign in at {url}. Should it lock again, give us a call at {phone}. Please reply to this message if you have any questions.",
        ],
        "negations": [],
    },
    {
        "id": "account-authenticator-reset",
        "tags": ["account"],
        "customer": "I lost my phone and can't get my login codes anymore.",
        "draft": "Authenticator reset under ticket {ticket}. Verify with the code sent to {phone} within {duration}.",
        "paraphrases": [
            "Losing your phone is stressful enough, and I'm sorry it locked you out as well. Your authenticator has been reset under ticket {ticket}. Please verify with the code sent to {phone} within {duration}. If anything goes wrong, just reply here.",
            "I understand how worrying it is to lose access. We've reset your authenticator under ticket {ticket}, and the verification code has been sent to {phone}; please use it within {duration}. Reply to this message if you need any help.",
        ],
        "negations": [],
    },
    {
        "id": "account-email-change-needs-confirmation",
        "tags": ["account", "negation"],
        "customer": "Please change my login email to my new work address.",
        "draft": "We can't change the login email until you confirm from {email}. Reply from that address and we'll update it under {ticket}.",
        "paraphrases": [
            "Thanks for letting us know about your new address, and I understand wanting this sorted quickly. We cannot change the login email until you confirm the request from {email}. When you reply from that address, we'll update it under ticket {ticket}. I appreciate your patience with this step.",
            "I understand this extra step is a hassle, and I'm sorry for the inconvenience. We cannot change the login email until you confirm from {email}. Please reply from that address, and we'll update it under {ticket}. Let me know here if you have any questions.",
        ],
        "negations": ["cannot change the login email"],
    },
    {
        "id": "account-deletion-request",
        "tags": ["account"],
        "customer": "Delete my account and all my data.",
        "draft": "Deletion request {ticket} received. Your account and data will be erased on {date}; confirmation goes to {email}.",
        "paraphrases": [
            "Thank you for letting us know, and I'm sorry to see you go. Your deletion request {ticket} has been received, and your account and data will be erased on {date}. A confirmation will go to {email}. If you have any questions before then, just reply here.",
            "I understand, and your request is in. Deletion request {ticket} is received; your account and data will be erased on {date}, and the confirmation goes to {email}. Please reply to this message if there's anything else you need.",
        ],
        "negations": [],
    },
    {
        "id": "account-compromised",
        "tags": ["account", "placeholder"],
        "customer": "Someone logged into my account and changed my address!",
        "draft": "{agent_ph} here. Signed out all sessions and sent a password reset link to {email}. Review recent activity at {url}.",
        "paraphrases": [
            "This is {agent_ph}, and I'm really sorry, finding someone else in your account is alarming. I've signed out all sessions and sent a password reset link to {email}. Please review your recent activity at {url} and if anything there looks unfamiliar, just reply here.",
            "{agent_ph} here. I understand how unsettling this must be, and I want to help you get things secure again. All sessions have been signed out, and a password reset link has been sent to {email}. You can review recent activity at {url} and reply to this message if you spot anything unusual.",
        ],
        "negations": [],
    },
    # ------------------------------------------------------------------- outage
    {
        "id": "outage-login-incident",
        "tags": ["outage"],
        "customer": "Your app has been down all morning, we can't work!",
        "draft": "Known incident since {time}, affecting logins. Updates at {url}.",
        "paraphrases": [
            "I'm so sorry, I know how disruptive this is for your team. We're aware of an incident affecting logins since {time}, and you can follow updates at {url} as they're posted. If you have any questions in the meantime, just reply here.",
            "Thank you for reporting this, and I understand how frustrating it is to be stuck. There is a known incident affecting logins that started at {time}. The latest updates are posted at {url} for you to follow. Please reply to this message if I can help with anything else.",
        ],
        "negations": [],
    },
    {
        "id": "outage-resolved-rca",
        "tags": ["outage", "placeholder"],
        "customer": None,
        "draft": "Hi {name_ph}, the incident is resolved as of {time}. Root cause report at {url} by {weekday}.",
        "paraphrases": [
            "Hi {name_ph}, thank you for your patience during the disruption. The incident has been resolved as of {time}. We'll publish the root cause report at {url} by {weekday}. If you're still seeing issues, just reply here.",
            "Hi {name_ph}, I'm sorry for the trouble the incident caused. It's resolved as of {time}, and the root cause report will be available at {url} by {weekday}. Please reply to this message if you have any questions.",
        ],
        "negations": [],
    },
    {
        "id": "outage-api-errors",
        "tags": ["outage"],
        "customer": "Our API calls keep failing with an error code.",
        "draft": "Elevated {code} errors on about {percent} of API requests since {time}. Engineers are on it; follow {url}.",
        "paraphrases": [
            "I'm sorry, I know failing API calls can hold up your whole workflow. We're seeing elevated {code} errors on about {percent} of API requests since {time}, and our engineers are on it. You can follow progress at {url} and just reply here if you have any questions.",
            "Thanks for reporting this, and I understand the frustration. Since {time}, there have been elevated {code} errors on about {percent} of API requests, and our engineers are on it. Please follow {url} for updates, and reply to this message if you need anything else.",
        ],
        "negations": [],
    },
    {
        "id": "outage-planned-maintenance",
        "tags": ["outage"],
        "customer": "Will the dashboard be available this weekend?",
        "draft": "Planned maintenance on {date} from {time}, expected to last {duration}. Details at {url}.",
        "paraphrases": [
            "Thanks for checking ahead, that's a great question to ask when you're planning. There's planned maintenance on {date} from {time}, expected to last {duration}. You'll find the details at {url} and if you have any questions, just reply here.",
            "I appreciate you asking, and I understand you want to plan around any downtime. We have planned maintenance on {date} starting at {time}, and it's expected to last {duration}. Details are at {url} for reference. Please reply to this message if I can help with anything else.",
        ],
        "negations": [],
    },
    {
        "id": "outage-data-backfill",
        "tags": ["outage", "complaint"],
        "customer": "Our reports are missing yesterday's data and my boss is asking about it.",
        "draft": "Data processing delayed after an incident on {date}. Backfill completes by {time} on {date2}. Ticket {ticket}.",
        "paraphrases": [
            "I'm sorry, I know it's stressful to have gaps in your reports when people are asking for them. Data processing was delayed after an incident on {date}, and the backfill completes by {time} on {date2}. Your ticket is {ticket} if you need to reference it. Just reply here if you have any questions.",
            "I understand the pressure this puts on you, and I'm sorry for the disruption. An incident on {date} delayed data processing, and the backfill will be complete by {time} on {date2}. For reference, this is tracked under ticket {ticket}. Please reply to this message if I can help further.",
        ],
        "negations": [],
    },
    {
        "id": "outage-sla-credit",
        "tags": ["outage", "billing", "angry", "complaint"],
        "customer": "Third outage this month. We pay for an enterprise plan and this is unacceptable.",
        "draft": "Sorry. Incident {ticket} is resolved. Uptime this month was {percent}, below the SLA, so a credit of {money} applies to invoice {invoice}.",
        "paraphrases": [
            "I'm truly sorry, and you have every right to be frustrated, especially on an enterprise plan. Incident {ticket} is resolved. Uptime this month was {percent}, which is below the SLA, so a credit of {money} applies to invoice {invoice}. If you'd like to talk it through, just reply here.",
            "You're right to hold us to a high standard, and I apologize for the disruption. Incident {ticket} has been resolved. Because uptime this month came in at {percent}, below the SLA, a credit of {money} applies to invoice {invoice}. Please reply to this message with any questions.",
        ],
        "negations": [],
    },
    {
        "id": "outage-phone-line-restored",
        "tags": ["outage"],
        "customer": "I tried calling you for ages and the line kept dropping.",
        "draft": "Phone support at {phone} is back as of {time} after the outage. Chat remains available at {url}.",
        "paraphrases": [
            "I'm sorry you had such a frustrating time trying to reach us. Phone support at {phone} is back as of {time} after the outage, and chat remains available at {url} as well. If you'd rather continue here, just reply to this message.",
            "Thank you for your patience, and I apologize for the dropped calls. As of {time}, phone support at {phone} is back after the outage. Chat also remains available at {url} if that's easier. Please reply to this message if I can help with anything.",
        ],
        "negations": [],
    },
    # ------------------------------------------------------------- cancellation
    {
        "id": "cancellation-confirmed",
        "tags": ["cancellation", "placeholder", "negation"],
        "customer": "Please cancel my subscription.",
        "draft": "Hi {name_ph}, subscription cancelled. Access continues until {date}; no further charges.",
        "paraphrases": [
            "Hi {name_ph}, thank you for being with us, and I'm sorry to see you go. Your subscription is cancelled, and your access continues until {date}. There will be no further charges. If you have any questions, just reply here.",
            "Hi {name_ph}, I've taken care of this for you: your subscription is cancelled. You'll keep access until {date}, and there will be no further charges. Please reply to this message if there's anything else I can do.",
        ],
        "negations": ["no further charges"],
    },
    {
        "id": "cancellation-already-shipped",
        "tags": ["cancellation", "negation"],
        "customer": "I want to cancel the order I placed this morning.",
        "draft": "Order {order} has already shipped, so it can't be cancelled. You can return it within {duration} using {url}.",
        "paraphrases": [
            "I understand, and I'm sorry for the timing here. Order {order} has already shipped, so it cannot be cancelled. You can still return it within {duration} using {url} and just reply here if you have any questions about the return.",
            "Thanks for reaching out, and I know this is frustrating. Because order {order} has already shipped, it cannot be cancelled at this stage. You're welcome to return it within {duration} using {url}. Please reply to this message if I can help with anything else.",
        ],
        "negations": ["cannot be cancelled"],
    },
    {
        "id": "cancellation-annual-plan",
        "tags": ["cancellation", "billing", "negation"],
        "customer": "Cancel my annual plan and give me the rest of the year back.",
        "draft": "Annual plan cancelled; it won't renew on {date}. The remaining months on invoice {invoice} aren't refundable.",
        "paraphrases": [
            "I understand, and I've taken care of the cancellation for you. Your annual plan is cancelled, and it will not renew on {date}. I'm sorry to say the remaining months on invoice {invoice} are not refundable. If you have any questions, just reply here.",
            "Thank you for letting us know, and I'm sorry to see you go. The annual plan has been cancelled, so it will not renew on {date}. I know this is disappointing, but the remaining months on invoice {invoice} are not refundable. Please reply to this message if I can help with anything else.",
        ],
        "negations": ["will not renew", "are not refundable"],
    },
    {
        "id": "cancellation-early-fee",
        "tags": ["cancellation", "complaint"],
        "customer": "Why is there a fee to cancel? That's ridiculous.",
        "draft": "The early cancellation fee is {money}, per the terms at {url}. Cancellation takes effect {date2}.",
        "paraphrases": [
            "I understand a fee is frustrating to see when you're trying to cancel. The early cancellation fee is {money}, as set out in the terms at {url} for your reference. Your cancellation takes effect {date2}. If anything is unclear, just reply here.",
            "I hear you, and I'm sorry this added to your frustration. Per the terms at {url}, the early cancellation fee is {money}. The cancellation takes effect {date2}. Please reply to this message if you have any questions.",
        ],
        "negations": [],
    },
    {
        "id": "cancellation-pause-instead",
        "tags": ["cancellation", "placeholder"],
        "customer": "I need to stop my box for a while, money is tight right now.",
        "draft": "{agent_ph} here. Subscription paused until {date2}. Resume anytime at {url}.",
        "paraphrases": [
            "This is {agent_ph}. Thank you for telling us, and I'm glad we could help make things a little easier. Your subscription is paused until {date2}, and you can resume anytime at {url}. If you need anything else, just reply here.",
            "{agent_ph} here. I completely understand, and I hope things ease up for you. I've paused your subscription until {date2}. Whenever you're ready, you can resume anytime at {url}. Please reply to this message if I can help with anything else.",
        ],
        "negations": [],
    },
    # ---------------------------------------------------- complaints and anger
    {
        "id": "complaint-rude-courier",
        "tags": ["complaint", "shipping"],
        "customer": "Your courier threw my parcel over the fence and was rude to me.",
        "draft": "Reported to the carrier under {ticket} for parcel {tracking}. They reply within {duration}.",
        "paraphrases": [
            "I'm really sorry, that's an unacceptable way to be treated, and your parcel deserved better care too. I've reported this to the carrier under {ticket} for parcel {tracking}, and they reply within {duration}. If you have anything to add, just reply here.",
            "Thank you for telling us, and I'm sorry you had that experience. What happened with parcel {tracking} has been reported to the carrier under {ticket}. They reply within {duration}. Please reply to this message if there's anything else you'd like to share.",
        ],
        "negations": [],
    },
    {
        "id": "angry-repeated-contact",
        "tags": ["angry", "complaint", "shipping", "placeholder"],
        "customer": "This is the FOURTH time I'm writing. Nobody reads these emails. Fix it or I'm leaving.",
        "draft": "Hi {name_ph}, I've taken over ticket {ticket}. Order {order} was reshipped today, tracking {tracking}. {agent_ph}",
        "paraphrases": [
            "Hi {name_ph}, I'm truly sorry you've had to keep writing to us, that's exhausting and you deserved a proper answer much sooner. I've taken over ticket {ticket} myself. Order {order} was reshipped today, and you can follow it with tracking {tracking}. If you have any questions, reply here. Best regards, {agent_ph}",
            "Hi {name_ph}, you're right to be upset, and I apologize for how this has been handled. I've taken over ticket {ticket}. Your order {order} was reshipped today with tracking {tracking}. Please reply to this message if you need anything else. Kind regards, {agent_ph}",
        ],
        "negations": [],
    },
    {
        "id": "angry-wrong-size-again",
        "tags": ["angry", "complaint", "shipping"],
        "customer": "You sent me the wrong size AGAIN. Absolutely ridiculous.",
        "draft": "Correct size ships {weekday} with tracking {tracking}. Return label for the wrong item sent to {email}.",
        "paraphrases": [
            "I'm really sorry, receiving the wrong size again is incredibly frustrating. The correct size ships {weekday} with tracking {tracking}. I've also sent a return label for the wrong item to {email}. If anything else goes wrong, just reply here.",
            "You have every reason to be annoyed, and I apologize. Your correct size ships {weekday}, and you can follow it with tracking {tracking}. A return label for the wrong item has been sent to {email}. Please reply to this message if you have any questions.",
        ],
        "negations": [],
    },
    {
        "id": "complaint-phone-agent-hung-up",
        "tags": ["complaint", "placeholder"],
        "customer": "The agent I spoke to on the phone hung up on me.",
        "draft": "Sorry about that call. Feedback logged as {ticket}; a supervisor will call you at {phone} on {date} at {time}. {agent_ph}",
        "paraphrases": [
            "I'm really sorry about that call, being hung up on is upsetting. Your feedback has been logged as {ticket}, and a supervisor will call you at {phone} on {date} at {time}. If there's anything you'd like to add before then, just reply here. Best, {agent_ph}",
            "Thank you for telling us, and I apologize for how that call went. I've logged your feedback as {ticket}. A supervisor will call you at {phone} on {date} at {time}. Please reply to this message if you have any questions. Kind regards, {agent_ph}",
        ],
        "negations": [],
    },
    {
        "id": "angry-disputed-vat-charge",
        "tags": ["angry", "complaint", "billing", "negation"],
        "customer": "You overcharged me and I'm disputing it with my bank. Don't bother replying.",
        "draft": "The {money} on invoice {invoice} is correct and includes {percent} VAT, so we can't reverse it. Breakdown: {url}",
        "paraphrases": [
            "I understand why the amount came as a shock, and I'm sorry for the frustration. I've checked invoice {invoice}: the {money} is correct and includes {percent} VAT, so we cannot reverse it. You can see the full breakdown at {url} and if anything there looks wrong, please reply here.",
            "I hear how upset you are, and I want to make sure you have the full picture. The {money} on invoice {invoice} is correct, as it includes {percent} VAT, and for that reason we cannot reverse it. The breakdown is at {url} for your review. Please reply to this message if you have questions about it.",
        ],
        "negations": ["cannot reverse it"],
    },
    {
        "id": "complaint-sofa-quality",
        "tags": ["complaint", "refund"],
        "customer": "The sofa fabric is already tearing, this is poor quality.",
        "draft": "Photos received for order {order}. We're refunding {percent} of the price, {money}, within {duration}.",
        "paraphrases": [
            "I'm so sorry the fabric is tearing already, that's really disappointing for a piece of furniture you rely on. Thank you for sending the photos for order {order}. We're refunding {percent} of the price, {money}, within {duration}. If you have any questions, just reply here.",
            "That's really disappointing, and I understand your frustration with the quality. The photos for order {order} are received, and we're refunding {percent} of the price, which is {money}, within {duration}. Please reply to this message if I can help with anything else.",
        ],
        "negations": [],
    },
    # --------------------------------------------------------- feature requests
    {
        "id": "feature-dark-mode",
        "tags": ["feature-request"],
        "customer": "Please add a dark mode, the white screen hurts my eyes at night.",
        "draft": "Dark mode request logged as {ticket}. Vote and follow it at {url}.",
        "paraphrases": [
            "Thank you for the suggestion, and I'm sorry the bright screen has been uncomfortable. I've logged your dark mode request as {ticket}. You can vote for it and follow its progress at {url} and if you have other ideas, just reply here.",
            "That's a great idea, and I understand how tiring a bright screen can be. Your dark mode request is logged as {ticket}, and you can vote and follow it at {url} whenever you like. Please reply to this message if there's anything else.",
        ],
        "negations": [],
    },
    {
        "id": "feature-csv-export",
        "tags": ["feature-request", "negation"],
        "customer": "Can I export my reports to CSV?",
        "draft": "CSV export isn't available yet. Workaround via the API: {url}. Request added under {ticket}.",
        "paraphrases": [
            "Thanks for asking, I can see how useful that would be for your reporting. CSV export is not available yet, but there is a workaround via the API at {url} in the meantime. I've added your request under {ticket}. If you have any questions, just reply here.",
            "Great question, and I understand why you'd want it. CSV export is not available yet. In the meantime, you can use the API workaround described at {url} and your request has been added under {ticket}. Please reply to this message if I can help further.",
        ],
        "negations": ["is not available"],
    },
    {
        "id": "feature-slack-beta",
        "tags": ["feature-request", "placeholder"],
        "customer": "Do you integrate with Slack?",
        "draft": "Hi {name_ph}, Slack integration enters beta on {date}. Join the waitlist at {url}.",
        "paraphrases": [
            "Hi {name_ph}, thanks for asking, it's great to hear you're interested. Our Slack integration enters beta on {date}, and you can join the waitlist at {url} to take part. If you have any questions, just reply here.",
            "Hi {name_ph}, good timing with this question. The Slack integration enters beta on {date}. To get involved, you can join the waitlist at {url} and please reply to this message if I can help with anything else.",
        ],
        "negations": [],
    },
    {
        "id": "feature-rate-limit-increase",
        "tags": ["feature-request"],
        "customer": "We keep hitting the API rate limit, can you raise it?",
        "draft": "Rate limit increase request {ticket} sent to the product team; they reply by {weekday}. Current limits: {url}.",
        "paraphrases": [
            "I understand how disruptive it is to keep hitting the limit. I've sent your rate limit increase request {ticket} to the product team, and they reply by {weekday}. You can review the current limits at {url} and if you have any questions meanwhile, just reply here.",
            "Thanks for explaining, and I'm sorry the limit is getting in your way. Your rate limit increase request {ticket} has gone to the product team, who reply by {weekday}. The current limits are listed at {url} for reference. Please reply to this message if I can help further.",
        ],
        "negations": [],
    },
    {
        "id": "feature-legacy-app-sync",
        "tags": ["feature-request", "negation"],
        "customer": "The old desktop app stopped syncing after the update.",
        "draft": "The legacy desktop app no longer syncs as of {date}. Download the new app at {url}.",
        "paraphrases": [
            "I'm sorry for the disruption, I know it's frustrating when a tool you rely on changes. The legacy desktop app no longer syncs as of {date}. You can download the new app at {url} and if you have any trouble switching over, just reply here.",
            "Thanks for letting us know, and I understand the frustration. As of {date}, the legacy desktop app no longer syncs. To keep going, you can download the new app at {url}. Please reply to this message if you have any questions.",
        ],
        "negations": ["no longer syncs"],
    },
    # ----------------------------------------------------------- other language
    {
        "id": "es-pedido-retrasado",
        "tags": ["shipping", "other-language", "placeholder"],
        "customer": "¿Dónde está mi pedido? Lo compré hace semanas.",
        "draft": "Hola {name_ph}, el pedido {order} está retrasado. Seguimiento: {tracking}.",
        "paraphrases": [
            "Hola {name_ph}, entiendo lo frustrante que es esperar tanto por tu compra y lamento mucho la demora. El pedido {order} está retrasado. Puedes seguir el envío con el código de seguimiento {tracking} y, si tienes alguna pregunta, responde a este mensaje y con gusto te ayudo.",
            "Hola {name_ph}, gracias por tu paciencia; sé que es molesto esperar tu paquete más de lo previsto. Te confirmo que el pedido {order} está retrasado. El seguimiento es {tracking} por si quieres consultarlo. Responde a este mensaje si necesitas algo más.",
        ],
        "negations": [],
    },
    {
        "id": "es-reembolso-aprobado",
        "tags": ["refund", "other-language"],
        "customer": "Devolví el producto y todavía espero mi dinero.",
        "draft": "Reembolso de {money} del pedido {order} aprobado. Confirmación enviada a {email}.",
        "paraphrases": [
            "Entiendo lo frustrante que es esperar tu dinero después de devolver el producto, y gracias por tu paciencia. Buenas noticias: el reembolso de {money} del pedido {order} está aprobado. Hemos enviado la confirmación a {email}. Si algo te parece incorrecto, responde a este mensaje y lo revisamos.",
            "Gracias por escribirnos, y lamento la espera. Te confirmo que hemos aprobado el reembolso de {money} correspondiente al pedido {order}. La confirmación se ha enviado a {email}. Responde a este mensaje si tienes alguna duda.",
        ],
        "negations": [],
    },
    {
        "id": "fr-code-promo-reactive",
        "tags": ["billing", "other-language"],
        "customer": "Mon code promo ne fonctionne pas !",
        "draft": "Le code {code} a été réactivé pour la commande {order}. Conditions : {url}",
        "paraphrases": [
            "Je comprends à quel point c'est agaçant quand le code bloque au moment de payer. Le code {code} a été réactivé pour la commande {order}. Vous trouverez les conditions sur {url} et si vous avez la moindre question, répondez simplement à ce message.",
            "Merci pour votre message, et toutes nos excuses pour ce désagrément. Bonne nouvelle : le code {code} est réactivé pour la commande {order}. Les conditions sont disponibles sur {url} et je reste à votre disposition si vous répondez à ce message.",
        ],
        "negations": [],
    },
    {
        "id": "de-doppelte-abbuchung",
        "tags": ["billing", "other-language"],
        "customer": "Ich wurde doppelt belastet! Was soll das?",
        "draft": "Die doppelte Abbuchung von {money} wurde storniert. Bestätigung an {email}, Details unter {url}.",
        "paraphrases": [
            "Es tut mir leid, dass Sie doppelt belastet wurden, ich verstehe Ihren Ärger gut. Die doppelte Abbuchung von {money} wurde storniert. Die Bestätigung haben wir an {email} geschickt, und die Details finden Sie unter {url} zum Nachlesen. Bei Fragen antworten Sie einfach auf diese Nachricht.",
            "Vielen Dank für Ihre Nachricht, und entschuldigen Sie bitte den Ärger. Wir haben die doppelte Abbuchung von {money} storniert. Die Bestätigung ging an {email}, weitere Details stehen unter {url} bereit. Antworten Sie gern auf diese Nachricht, wenn Sie Fragen haben.",
        ],
        "negations": [],
    },
]
