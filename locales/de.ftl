# Everything Bino says in chat, in German (friendly "du"). Same ids and placeables as en.ftl,
# the source; see the notes there. Commands in quotes are the German words Bino recognises
# („Hilfe“, „Menü“, „meine eSIMs“, ...); case does not matter to Bino, so nouns are capitalised.

greeting =
    Hallo! Ich bin Bino 👋 Ich besorge dir mobile Daten im Ausland per eSIM: kein SIM-Wechsel, keine Roaming-Rechnung, in einer Minute startklar.
    Wohin geht's und wie lange? Zum Beispiel: „Japan und Korea, 10 Tage“.
ask-destination = Wohin geht's und wie lange? Zum Beispiel: „Spanien, 5 Tage“.
restarted = Okay, wir fangen von vorne an. Wohin geht's?
timed-out = Ist schon eine Weile her, also starten wir neu. Wohin geht's?
no-destination = Darin habe ich kein Reiseziel gefunden. Nenn mir ein Land, eine Stadt, eine Insel oder eine Region, zum Beispiel „Thailand, 2 Wochen“.
no-plans = Tut mir leid, für { $destination } habe ich gerade keine Tarife. Probier ein Nachbarland oder eine Region wie „Europa“.
search-unavailable = Ich erreiche den Tarifkatalog gerade nicht. Versuch es bitte in einer Minute noch mal.

plans-body =
    { $days ->
        [0] Tarife für { $destination }. Tarife für deine ganze Reise stehen oben.
        [one] Tarife für { $destination }, { $days } Tag. Tarife für deine ganze Reise stehen oben.
       *[other] Tarife für { $destination }, { $days } Tage. Tarife für deine ganze Reise stehen oben.
    }
plans-button = Tarife ansehen
plans-section = Beste Tarife
plans-footer = Preise in US-Dollar
plan-row = { $data } · { $validity } · { $price } USD
plan-days = { $days ->
    [one] { $days } Tag
   *[other] { $days } Tage
}
plan-partial = deckt { $covered } von { $wanted } Orten ab

summary = *{ $name }*
    Daten: { $data }
    Laufzeit: { $validity }
    Abdeckung: { $countries }
    Preis: { $price } USD
    { $starts }
summary-starts-first-use = Der Tarif startet, sobald sich die eSIM an deinem Reiseziel zum ersten Mal mit einem Netz verbindet.
summary-starts-install = Der Tarif startet, sobald du die eSIM installierst.
summary-not-whole-trip = Hinweis: Dieser Tarif deckt nicht alle Orte deiner Reise ab.
button-buy = Kaufen
button-other-plans = Andere Tarife
button-change-destination = Ziel ändern

order-placed = Danke! Deine Bestellung ist eingegangen (Ref. { $order }). Ich bereite deine eSIM vor; das dauert meist weniger als eine Minute.
order-refused = Tut mir leid, der Anbieter konnte diese eSIM nicht ausstellen ({ $reason }). Dir wurde nichts berechnet. Wähl einen anderen Tarif oder schreib „Mensch“, um mit einer Person zu sprechen.
order-unavailable = Ich konnte den Anbieter gerade nicht erreichen, und es wurde nichts berechnet. Tipp in einer Minute noch mal auf Kaufen; es wird nie doppelt bestellt.
still-preparing = Deine eSIM wird noch vorbereitet; ich schicke sie dir hier, sobald sie fertig ist.

esim-ready-caption = Deine eSIM für { $plan } ist fertig ✅ Öffne diesen Code auf einem anderen Bildschirm und scanne ihn: Einstellungen → Mobilfunk → eSIM hinzufügen.
esim-ready-details =
    So installierst du sie mit einem Tipp auf diesem Handy:
    iPhone: { $ios }
    Android: { $android }

    Oder gib sie von Hand ein:
    SM-DP+-Adresse: { $smdp }
    Aktivierungscode: { $code }

    Lass diese eSIM ausgeschaltet, bis du angekommen bist. Schreib jederzeit „Verbrauch“, um zu sehen, was noch übrig ist.
esim-activation-string = Vollständiger Aktivierungscode (lange drücken zum Kopieren):

help =
    Ich verkaufe eSIMs für Reisen. Sag mir, wohin es geht, zum Beispiel „Italien, 1 Woche“, und ich zeige dir die besten Tarife.
    Du kannst auch schreiben:
    • „Menü“ für die Optionen
    • „meine eSIMs“ für deine gekauften eSIMs
    • „Verbrauch“ für übrige Daten und Tage
    • „aufladen“, um Daten nachzukaufen
    • „Neustart“, um von vorne anzufangen
    • „Mensch“, um mit einer Person zu sprechen
    • „English“, „Español“, „Português“ oder „Français“, um die Sprache zu wechseln
menu-body = Was möchtest du tun?
menu-new = Neue eSIM
menu-esims = Meine eSIMs
menu-help = Hilfe

no-esims = Du hast noch keine eSIMs bei mir. Sag mir, wohin es geht, und ich finde eine für dich.
esims-list = Deine eSIMs:
esim-line = • { $plan }: { $state }
esim-state-preparing = wird vorbereitet
esim-state-ready = bereit zur Installation
esim-state-failed = nicht ausgestellt (nichts berechnet)
esim-state-topped-up = aufgeladen
usage-line = • { $plan }: noch { $left } von { $total }{ $expires ->
    [none] {""}
   *[other] , bis { $expires }
}
usage-unknown = • { $plan }: noch kein Verbrauch gemeldet
top-up-none = Du hast noch keine eSIM zum Aufladen.

handed-off = Ich habe jemanden aus unserem Team dazugeholt. Du bekommst hier bald eine Antwort. Schreib „Menü“, um zu mir zurückzukommen.
with-agent = Jemand aus unserem Team antwortet dir hier bald. Schreib „Menü“, um zu mir zurückzukommen.

unsupported-message = Ich kann im Moment nur Text und Buttons lesen. Schreib mir, wohin es geht, zum Beispiel „Italien, 1 Woche“.
stale-choice = Diese Liste ist nicht mehr aktuell, deshalb habe ich nichts gemacht. Hier sind die aktuellen Optionen.
stale-choice-restart = Diese Liste ist nicht mehr aktuell, deshalb habe ich nichts gemacht. Wohin geht's?

limit-searches = Du suchst schneller, als ich hinterherkomme. Warte bitte eine Minute und versuch es dann noch mal.
limit-orders = Du hast das Tageslimit für eSIM-Bestellungen ({ $limit }) erreicht. Schreib „Mensch“, wenn du mehr brauchst.
language-set = Okay, ich schreibe dir ab jetzt auf Deutsch.
pick-a-number = Wähl einen Tarif aus der Liste: tipp ihn an oder schreib seine Nummer (1 bis { $count }).
trip-worldwide = die ganze Welt

# Bezahlung, Aufladen und Betreuung.
checkout-link = Zum Bezahlen öffne diese sichere Seite (1 Stunde gültig): { $url }
    Ich schicke dir die eSIM hier, sobald die Zahlung durch ist.
checkout-unavailable = Ich konnte die Bezahlseite gerade nicht öffnen, und es wurde nichts abgebucht. Tippe in einer Minute noch einmal auf Kaufen.
checkout-expired = Der Bezahllink ist abgelaufen: Es wurde nichts abgebucht und nichts bestellt.
purchase-closed = Kaufen in diesem Chat ist für deine Nummer nicht freigeschaltet. Schreib „Mensch“, dann hilft dir jemand.
payment-received = Zahlung erhalten, danke! (Ref. { $order }) Ich bereite deine eSIM vor; das dauert meist weniger als eine Minute.
paid-but-failed = Es tut mir leid: Deine Zahlung ist angekommen, aber der Anbieter konnte die eSIM nicht ausstellen (Ref. { $order }). Du bekommst den vollen Betrag zurück, und jemand aus unserem Team weiß Bescheid. Schreib „Mensch“, um mit ihm zu sprechen.
still-awaiting-payment = Deine Bestellung wartet auf die Zahlung: Nutze den Link, den ich oben geschickt habe. Die eSIM kommt, sobald sie bezahlt ist.
top-up-applied = Erledigt: { $plan } wurde deiner eSIM hinzugefügt. Du brauchst keinen neuen QR-Code.
top-up-body = Aufladungen für { $plan }. Sie kommen auf die eSIM, die du schon hast.
top-up-no-plans = Für { $plan } gibt es gerade keine Aufladung. Schreib „Mensch“, wenn du mehr Daten brauchst.
summary-top-up = Wird sofort deiner jetzigen eSIM hinzugefügt; kein neuer QR-Code nötig.
button-top-up = Aufladen
esim-connected = Deine eSIM für { $plan } ist installiert und verbunden ✅ Gute Reise!
data-low = Deine eSIM für { $plan } hat noch { $left } Daten.
expiring = { $days ->
    [one] Deine eSIM für { $plan } läuft in 1 Tag ab.
   *[other] Deine eSIM für { $plan } läuft in { $days } Tagen ab.
} Lade auf, um verbunden zu bleiben.
released = Ich bin wieder da! Sag mir, wohin du reist, oder schreib „Menü“ für die Optionen.
esim-state-awaiting-payment = wartet auf Zahlung
esim-state-cancelled = storniert (nichts abgebucht)
esim-state-refund-pending = nicht ausgestellt, Erstattung unterwegs
esim-state-in-use = aktiv
esim-state-used-up = Daten aufgebraucht
esim-state-expired = abgelaufen
paid-wrong-amount = Deine Zahlung ist angekommen, aber es war nicht der Preis dieses Tarifs, deshalb habe ich nichts bestellt (Ref. { $order }). Du bekommst den vollen Betrag zurück, und jemand aus unserem Team weiß Bescheid. Tippe noch einmal auf Kaufen, um den richtigen Betrag zu zahlen.
paid-late = Deine Zahlung kam, nachdem der Link abgelaufen war, deshalb habe ich nichts bestellt (Ref. { $order }). Du bekommst den vollen Betrag zurück, und jemand aus unserem Team weiß Bescheid. Tippe noch einmal auf Kaufen für einen neuen Link.
payment-failed = Deine Zahlung ist nicht durchgegangen: Es wurde nichts abgebucht und nichts bestellt. Du kannst es mit Kaufen noch einmal versuchen.
checkout-link-top-up = Zum Bezahlen der Aufladung öffne diese sichere Seite (1 Stunde gültig): { $url }
    Ich lade die Daten auf deine eSIM, sobald die Zahlung durch ist.
data-per-day = { $amount }/Tag
