# Everything Bino says in chat, in French ("vous"). Same ids and placeables as en.ftl, the
# source; see the notes there. Commands in quotes are the French words Bino recognises
# ("aide", "menu", "mes esims", ...). Spaces before ? ! : ; and inside « » are no-break
# spaces (U+00A0), so a phone never wraps the punctuation onto its own line.

greeting =
    Bonjour ! Je suis Bino 👋 Je vous fournis des données mobiles à l'étranger avec une eSIM : pas de changement de SIM, pas de frais de roaming, prête en une minute.
    Où partez-vous, et pour combien de temps ? Par exemple : « Japon et Corée, 10 jours ».
ask-destination = Où partez-vous, et pour combien de temps ? Par exemple : « Espagne, 5 jours ».
restarted = D'accord, on recommence. Où partez-vous ?
timed-out = Cela fait un moment, alors repartons de zéro. Où partez-vous ?
no-destination = Je n'ai pas trouvé de destination dans votre message. Indiquez un pays, une ville, une île ou une région, par exemple « Thaïlande, 2 semaines ».
no-plans = Désolé, je n'ai pas de forfait pour { $destination } pour le moment. Essayez un pays voisin ou une région comme « Europe ».
search-unavailable = Je n'arrive pas à joindre le catalogue des forfaits pour le moment. Réessayez dans une minute.

plans-body =
    { $days ->
        [0] Forfaits pour { $destination }. Ceux qui couvrent tout votre voyage sont en tête.
        [one] Forfaits pour { $destination }, { $days } jour. Ceux qui couvrent tout votre voyage sont en tête.
       *[other] Forfaits pour { $destination }, { $days } jours. Ceux qui couvrent tout votre voyage sont en tête.
    }
plans-button = Voir les forfaits
plans-section = Meilleurs forfaits
plans-footer = Prix en dollars américains
plan-row = { $data } · { $validity } · { $price } $ US
plan-days = { $days ->
    [one] { $days } jour
   *[other] { $days } jours
}
plan-partial = couvre { $covered } des { $wanted } lieux

summary = *{ $name }*
    Données : { $data }
    Validité : { $validity }
    Couverture : { $countries }
    Prix : { $price } $ US
    { $starts }
summary-starts-first-use = Le forfait démarre quand l'eSIM se connecte pour la première fois à un réseau à destination.
summary-starts-install = Le forfait démarre quand vous installez l'eSIM.
summary-not-whole-trip = À noter : ce forfait ne couvre pas toutes les étapes de votre voyage.
button-buy = Acheter
button-other-plans = Autres forfaits
button-change-destination = Autre destination

order-placed = Merci ! Votre commande est enregistrée (réf. { $order }). Je prépare votre eSIM ; cela prend en général moins d'une minute.
order-refused = Désolé, le fournisseur n'a pas pu émettre cette eSIM ({ $reason }). Rien ne vous a été débité. Choisissez un autre forfait, ou écrivez « humain » pour parler à une personne.
order-unavailable = Je n'ai pas pu joindre le fournisseur, et rien n'a été débité. Touchez à nouveau Acheter dans une minute : la commande ne sera jamais passée deux fois.
still-preparing = Votre eSIM est encore en préparation ; je vous l'envoie ici dès qu'elle est prête.

esim-ready-caption = Votre eSIM pour { $plan } est prête ✅ Affichez ce code sur un autre écran et scannez-le : Réglages → Données mobiles → Ajouter une eSIM.
esim-ready-details =
    Pour l'installer sur ce téléphone d'une simple touche :
    iPhone : { $ios }
    Android : { $android }

    Ou saisissez-la à la main :
    Adresse SM-DP+ : { $smdp }
    Code d'activation : { $code }

    Gardez cette eSIM désactivée jusqu'à votre arrivée. Écrivez « utilisation » à tout moment pour voir ce qu'il vous reste.
esim-activation-string = Code d'activation complet (appui long pour copier) :

help =
    Je vends des eSIM de voyage. Dites-moi où vous partez, par exemple « Italie, 1 semaine », et je vous montre les meilleurs forfaits.
    Vous pouvez aussi écrire :
    • « menu » pour les options
    • « mes esims » pour les eSIM que vous avez achetées
    • « utilisation » pour les données et les jours restants
    • « recharger » pour ajouter des données
    • « recommencer » pour repartir de zéro
    • « humain » pour parler à une personne
    • « english », « español », « português » ou « deutsch » pour changer de langue
menu-body = Que voulez-vous faire ?
menu-new = Nouvelle eSIM
menu-esims = Mes eSIM
menu-help = Aide

no-esims = Vous n'avez pas encore d'eSIM chez moi. Dites-moi où vous partez et je vous en trouve une.
esims-list = Vos eSIM :
esim-line = • { $plan } : { $state }
esim-state-preparing = en préparation
esim-state-ready = prête à installer
esim-state-failed = non émise (rien n'a été débité)
esim-state-topped-up = rechargée
usage-line = • { $plan } : il reste { $left } sur { $total }{ $expires ->
    [none] {""}
   *[other] , jusqu'au { $expires }
}
usage-unknown = • { $plan } : pas encore de consommation signalée
top-up-none = Vous n'avez pas encore d'eSIM à recharger.

handed-off = J'ai demandé à une personne de notre équipe de nous rejoindre. Elle vous répondra ici très bientôt. Écrivez « menu » pour revenir vers moi.
with-agent = Une personne de notre équipe va vous répondre ici très bientôt. Écrivez « menu » pour revenir vers moi.

unsupported-message = Pour l'instant, je ne lis que le texte et les boutons. Dites-moi par écrit où vous partez, par exemple « Italie, 1 semaine ».
stale-choice = Cette liste n'est plus à jour, je n'en ai donc pas tenu compte. Voici les options actuelles.
stale-choice-restart = Cette liste n'est plus à jour, je n'en ai donc pas tenu compte. Où partez-vous ?

limit-searches = Vous cherchez plus vite que je ne peux suivre. Attendez une minute, puis réessayez.
limit-orders = Vous avez atteint la limite quotidienne de commandes d'eSIM ({ $limit }). Écrivez « humain » s'il vous en faut plus.
language-set = D'accord, je vous écris en français.
pick-a-number = Choisissez un forfait dans la liste : touchez-le ou tapez son numéro (de 1 à { $count }).
trip-worldwide = partout dans le monde

# Paiement, recharges et suivi.
checkout-link = Pour payer, ouvrez cette page sécurisée (valable 1 heure) : { $url }
    Je vous envoie l'eSIM ici dès que le paiement est passé.
checkout-unavailable = Je n'ai pas pu ouvrir la page de paiement, et rien n'a été débité. Touchez Acheter à nouveau dans une minute.
checkout-expired = Le lien de paiement a expiré : rien n'a été débité ni commandé.
purchase-closed = L'achat dans ce chat n'est pas ouvert pour votre numéro. Écrivez « humain » et une personne vous aidera.
payment-received = Paiement reçu, merci ! (réf. { $order }) Je prépare votre eSIM ; cela prend en général moins d'une minute.
paid-but-failed = Désolé : votre paiement est arrivé, mais le fournisseur n'a pas pu émettre l'eSIM (réf. { $order }). Vous serez remboursé intégralement, et une personne de notre équipe est prévenue. Écrivez « humain » pour lui parler.
still-awaiting-payment = Votre commande attend le paiement : utilisez le lien envoyé plus haut. Je vous envoie l'eSIM dès qu'elle est payée.
top-up-applied = C'est fait : { $plan } a été ajouté à votre eSIM. Pas besoin de nouveau code QR.
top-up-body = Recharges pour { $plan }. Elles s'ajoutent à l'eSIM que vous avez déjà.
top-up-no-plans = Il n'y a pas de recharge pour { $plan } pour le moment. Écrivez « humain » s'il vous faut plus de données.
summary-top-up = Ajouté tout de suite à votre eSIM actuelle ; pas besoin de nouveau code QR.
button-top-up = Recharger
esim-connected = Votre eSIM { $plan } est installée et connectée ✅ Bon voyage !
data-low = Il reste { $left } de données sur votre eSIM { $plan }.
expiring = { $days ->
    [one] Votre eSIM { $plan } expire dans 1 jour.
   *[other] Votre eSIM { $plan } expire dans { $days } jours.
} Rechargez pour rester connecté.
released = Me revoilà ! Dites-moi où vous allez, ou écrivez « menu » pour les options.
esim-state-awaiting-payment = en attente de paiement
esim-state-cancelled = annulée (rien débité)
esim-state-refund-pending = non émise, remboursement en cours
esim-state-in-use = en service
esim-state-used-up = données épuisées
esim-state-expired = expirée
paid-wrong-amount = Votre paiement est arrivé, mais ce n'était pas le prix de ce forfait : je n'ai rien commandé (réf. { $order }). Vous serez remboursé intégralement, et une personne de notre équipe est prévenue. Touchez Acheter à nouveau pour payer le bon montant.
paid-late = Votre paiement est arrivé après l'expiration du lien : je n'ai rien commandé (réf. { $order }). Vous serez remboursé intégralement, et une personne de notre équipe est prévenue. Touchez Acheter à nouveau pour un nouveau lien.
payment-failed = Votre paiement n'est pas passé : rien n'a été débité ni commandé. Vous pouvez réessayer avec Acheter.
checkout-link-top-up = Pour payer la recharge, ouvrez cette page sécurisée (valable 1 heure) : { $url }
    J'ajoute les données à votre eSIM dès que le paiement est passé.
data-per-day = { $amount }/jour
