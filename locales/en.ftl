# Everything Bino says in chat, in English. The other languages have the same keys; a key
# missing there falls back to this file. Placeables in { $braces } are filled in by the bot.
# Keep lines short: WhatsApp shows them on a phone.

greeting =
    Hi! I'm Bino 👋 I get you mobile data abroad with an eSIM: no SIM swap, no roaming bill, ready in a minute.
    Where are you going, and for how long? For example: "Japan and Korea, 10 days".
ask-destination = Where are you going, and for how long? For example: "Spain, 5 days".
restarted = OK, let's start over. Where are you going?
timed-out = It's been a while, so let's start fresh. Where are you going?
no-destination = I couldn't find a destination in that. Name a country, city, island or region, for example "Thailand, 2 weeks".
no-plans = Sorry, I have no plans for { $destination } right now. Try a nearby country or a region such as "Europe".
search-unavailable = I can't reach the plan catalogue right now. Please try again in a minute.

plans-body =
    { $days ->
        [0] Plans for { $destination }. Plans covering your whole trip come first.
        [one] Plans for { $destination }, 1 day. Plans covering your whole trip come first.
       *[other] Plans for { $destination }, { $days } days. Plans covering your whole trip come first.
    }
plans-button = See plans
plans-section = Best plans
plans-footer = Prices in US dollars
plan-row = { $data } · { $validity } · ${ $price }
plan-days = { $days ->
    [one] 1 day
   *[other] { $days } days
}
plan-partial = covers { $covered } of { $wanted } places

summary = *{ $name }*
    Data: { $data }
    Valid: { $validity }
    Covers: { $countries }
    Price: US${ $price }
    { $starts }
summary-starts-first-use = The plan starts when the eSIM first connects to a network at your destination.
summary-starts-install = The plan starts when you install the eSIM.
summary-not-whole-trip = Note: this plan does not cover every place of your trip.
button-buy = Buy
button-other-plans = Other plans
button-change-destination = Change destination

order-placed = Thank you! Your order is in (ref. { $order }). I'm preparing your eSIM; it usually takes under a minute.
order-refused = Sorry, the supplier could not issue this eSIM ({ $reason }). You have not been charged. Pick another plan, or write "agent" to talk to a person.
order-unavailable = I couldn't reach the supplier just now, and nothing was charged. Tap Buy again in a minute; you'll never be charged twice.
still-preparing = Your eSIM is still being prepared; I'll send it here as soon as it's ready.

esim-ready-caption = Your eSIM for { $plan } is ready ✅ Show this code on another screen and scan it: Settings → Mobile data → Add eSIM.
esim-ready-details =
    To install it on this phone with one tap:
    iPhone: { $ios }
    Android: { $android }

    Or enter it by hand:
    SM-DP+ address: { $smdp }
    Activation code: { $code }

    Keep this eSIM switched off until you arrive. Write "usage" any time to see what's left.
esim-activation-string = Activation string (long-press to copy):

help =
    I sell travel eSIMs. Tell me where you're going, for example "Italy, 1 week", and I'll show the best plans.
    You can also write:
    • "menu" for the options
    • "my esims" for the eSIMs you bought
    • "usage" for data and days left
    • "top up" to add data
    • "restart" to start over
    • "agent" to talk to a person
    • "español", "português", "français" or "deutsch" to change language
menu-body = What would you like to do?
menu-new = New eSIM
menu-esims = My eSIMs
menu-help = Help

no-esims = You have no eSIMs with me yet. Tell me where you're going and I'll find you one.
esims-list = Your eSIMs:
esim-line = • { $plan }: { $state }
esim-state-preparing = being prepared
esim-state-ready = ready to install
esim-state-failed = not issued (nothing charged)
esim-state-topped-up = topped up
usage-line = • { $plan }: { $left } of { $total } left{ $expires ->
    [none] {""}
   *[other] , until { $expires }
}
usage-unknown = • { $plan }: no usage reported yet
top-up-none = You have no eSIM to top up yet.

handed-off = I've asked a person from our team to join. They'll answer here soon. Write "menu" to come back to me.
with-agent = A person from our team will answer here soon. Write "menu" to come back to me.

unsupported-message = I can only read text and taps for now. Tell me in words where you're going, for example "Italy, 1 week".
stale-choice = That list is out of date, so I haven't acted on it. Here are the current options.
stale-choice-restart = That list is out of date, so I haven't acted on it. Where are you going?

limit-searches = You're searching faster than I can keep up. Please wait a minute and try again.
limit-orders = You've reached today's limit of eSIM orders ({ $limit }). Write "agent" if you need more.
language-set = OK, I'll write in English.
pick-a-number = Pick a plan from the list: tap it, or type its number (1 to { $count }).
trip-worldwide = anywhere in the world

# Payment, top-ups and care.
checkout-link = To pay, open this secure page (valid for 1 hour): { $url }
    I'll send your eSIM here as soon as the payment is through.
checkout-unavailable = I couldn't open the payment page just now, and nothing was charged. Tap Buy again in a minute.
checkout-expired = The payment link expired, so nothing was charged and nothing was ordered.
purchase-closed = Buying in this chat isn't open for your number. Write "agent" and a person will help you.
payment-received = Payment received, thank you! (ref. { $order }) I'm preparing your eSIM; it usually takes under a minute.
paid-but-failed = I'm sorry: your payment arrived, but the supplier could not issue the eSIM (ref. { $order }). You will get a full refund, and a person from our team has been told. Write "agent" to talk to them.
still-awaiting-payment = Your order waits for the payment: use the link I sent above. I'll send your eSIM as soon as it's paid.
top-up-applied = Done: { $plan } was added to your eSIM. No new QR code needed.
top-up-body = Top-ups for { $plan }. They are added to the eSIM you already have.
top-up-no-plans = There are no top-ups for { $plan } right now. Write "agent" if you need more data.
summary-top-up = Added to your current eSIM at once; no new QR code needed.
button-top-up = Top up
esim-connected = Your eSIM for { $plan } is installed and connected ✅ Enjoy your trip!
data-low = Your eSIM for { $plan } has { $left } of data left.
expiring = { $days ->
    [one] Your eSIM for { $plan } expires in 1 day.
   *[other] Your eSIM for { $plan } expires in { $days } days.
} Top up to keep it going.
released = I'm back! Tell me where you're going, or write "menu" for the options.
esim-state-awaiting-payment = waiting for payment
esim-state-cancelled = cancelled (nothing charged)
esim-state-refund-pending = not issued, refund on its way
esim-state-in-use = in use
esim-state-used-up = data used up
esim-state-expired = expired
paid-wrong-amount = Your payment arrived, but it wasn't this plan's price, so I haven't ordered anything (ref. { $order }). You'll get a full refund, and a person from our team has been told. Tap Buy again to pay the right amount.
paid-late = Your payment arrived after the link had expired, so I haven't ordered anything (ref. { $order }). You'll get a full refund, and a person from our team has been told. Tap Buy again for a new link.
payment-failed = Your payment didn't go through, so nothing was charged and nothing was ordered. You can try again with Buy.
checkout-link-top-up = To pay for the top-up, open this secure page (valid for 1 hour): { $url }
    I'll add the data to your eSIM as soon as the payment is through.
data-per-day = { $amount }/day
