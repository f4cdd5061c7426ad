//! Word lists that steer the reader: words that are never places, words that announce a
//! destination, words that show a message is about a trip.
//!
//! All entries are folded (lowercase, no accents), as [`super::text`] folds the text.

/// Ordinary words in English, Spanish, Portuguese, French, German and Italian. Typo
/// tolerance never bends one of them into a place ("while" is not a misspelt "Chile",
/// "woman" not "Oman"), and an unknown capitalized word is only suspicious when it is not
/// one of them. Months, weekdays, demonyms and chat vocabulary are here for the same reason.
pub(super) const COMMON: &str = "
queria quero quiero serve servir serva sirve a about above across activate activated activation actually add added address after
again against ago ahead all allow almost alone along already also although always am
among amount an and android another answer any anyone anything anyway app apple apps
are area around arrive arrived arriving as ask asked at available away back bad bag
balance bank basic be beach beaches because become been before begin being believe
best better between big bill bit book booked both bought box bring broken brother
browse business busy but buy buying by call calling calls came can cancel cannot card
care carry case cash cell change charge charged chat cheap cheaper cheapest check
child children choose city class clear close code come comes coming company connect
connected connection contact continue cost costs could country countries couple
course cover covered coverage covers credit current customer daily data date day
days deal dear delivery desk device did different do does doing done dont down
download during each early easy eat either else email end enough esim esims even
evening ever every everything exactly except expensive extra fair family far fast
father fee feel few find fine first five flight flights fly flying follow food for
found four free friday friend friends from front full get gets getting gift give
go goes going gone good got great group guess had half hand happy has have having
he hello help her here hey hi high him his hold holiday holidays home hope hot hotel
hour hours house how however husband i if im important in include included includes
info information install installed instead internet into is it its just keep kind
know large last late later least leave left less let like line little live local
long look looking lot love low made mail make man many may maybe me mean meaning
message mind minute minutes mobile moment monday money month months more morning
most mother much must my myself name near need needed needs network never new next
nice night nights no none not nothing now number of off offer often ok okay old on
once one online only open or order other our out over own package paid parents
pay payment people per perfect person phone photo pick place plan plans please plus
point possible pretty price prices problem profile provider put qr question quick
quite rate rather read ready real really receive reply right roaming room run said
same saturday say says see seems sell send sent service set several share she short
should show sign signal sim simple since single sir sister size small so some someone
something soon sorry speed spend start stay still stop store such sunday support
sure take talk team tell text than thank thanks that the their them then there these
they thing things think this those though three through thursday time times to today
together told tomorrow too top total tried trip trips true try trying tuesday turn
two type under understand unit until up upgrade us use used user using usually very
via visit wait want wanted wants was way we wednesday week weekend weeks well went
were what when where which while who whole why wife wifi will wish with within
without woman women word work working works world worth would write wrong year
years yes yet you young your yours
january february march april june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
english spanish portuguese french german italian dutch chinese japanese korean
american british canadian mexican brazilian indian russian turkish greek thai
african asian european australian irish scottish swiss austrian belgian swedish
norwegian danish finnish polish czech hungarian croatian israeli egyptian moroccan
peruvian chilean colombian argentinian argentine cuban indonesian malaysian filipino
vietnamese cambodian nigerian kenyan korean mongolian bolivian tunisian syrian
iranian iraqi lebanese jordanian saudi emirati qatari georgian armenian ukrainian
russian serbian romanian bulgarian albanian maltese cypriot icelandic
iphone ipad samsung google pixel galaxy whatsapp telegram facebook instagram
airalo holafly ubigi nomad saily esimaccess bino gmail hotmail yahoo
grease sales tales males whales trance franc child chill indie dominic span pain
chain chin malt mala malo tiger sedan samosa chili chilli nigel island islands christmas
gana ganas cube tube indies panel petal tango kenny ran roman grace peace piece spin
spine italic italics whale franca frank
gracias hola bueno buenos buenas tardes noches dias quiero quisiera necesito
tengo tiene tienen para por con sin que como cuando donde cual cuanto cuanta
cuesta precio plan planes datos viaje viajes viajar viajo voy vamos ir mes meses
semana semanas dia hoy manana ayer todo todos toda todas muy mas menos bien mal
gracias favor ayuda hacer puedo puede pueden tambien pero porque entonces
mi mis tu tus su sus el la los las lo un una unos unas al del de en y o ni es son
esta estoy estamos este esto eso ese esa hay ser estar tener mucho poco
obrigado obrigada ola oi bom boa dia tarde noite quero preciso tenho tem voce
voces nao sim meu minha seu sua dados viagem viajar ferias semana semanas mes
do da dos das no na nos nas em um uma uns umas com sem mais menos muito pouco
bonjour salut merci oui non je tu il elle nous vous ils elles le la les un une des
du de au aux en et ou mais pour par avec sans dans sur mon ma mes ton ta tes son sa
ses veux voudrais besoin voyage voyager vacances jours jour semaine semaines mois
donnees forfait combien prix tres bien aussi
hallo danke bitte ja nein ich du er sie es wir ihr der die das den dem des ein eine
einen einer und oder aber fur mit ohne nach von zu im am um auf aus bei ist sind
habe hast hat haben brauche mochte will reise reisen urlaub tage tag woche wochen
monat monate daten preis wie viel was wo wann gut sehr auch noch nur
ciao grazie prego si buongiorno buonasera io lui lei noi voi loro il lo gli le un
una uno e o ma per con senza di da in su del della dei delle al alla nel nella
voglio vorrei bisogno viaggio viaggiare vacanza vacanze giorni giorno settimana
settimane mese mesi dati prezzo quanto costa molto anche
";

/// Words that announce a destination right after them: prepositions of movement and place,
/// and travel verbs, in the six languages. A name that is also a first name ("Chad",
/// "Jordan") is only read as a place after one of these.
pub(super) const CUES: &str = "
to in into for visit visiting visited from at around across through via towards toward
explore exploring tour touring backpacking heading going fly flying trip travel
travelling traveling traveled travelled vacation holiday holidays honeymoon esim sim
cover covers covering coverage near
a en para pra por hacia visitar viaje viajo viajar voy vamos conocer recorrer desde
em no na nos nas ao aos viagem vou ir
au aux pour vers visiter voyage voyager dans partir
nach für fur im ins besuchen reise reisen fliegen fliege urlaub durch
per verso visitare viaggio viaggiare nel nella nei andare vado
";

/// Words that make a message about a trip: a message with one of them but no destination is
/// not confidently read.
pub(super) const TRAVEL: &str = "
trip trips travel travelling traveling traveler traveller vacation vacations holiday
holidays honeymoon visit visiting abroad destination destinations journey backpacking
flying fly flight going heading tour touring itinerary
viaje viajes viajar viajo vacaciones visitar destino luna miel
viagem viagens viajar ferias destino
voyage voyager vacances visiter sejour
reise reisen urlaub besuchen reiseziel
viaggio viaggiare vacanza vacanze visitare destinazione
";

/// Articles skipped when looking for a cue before a name ("to the Bahamas").
pub(super) const ARTICLES: &str =
    "the el la los las le les l o os as il lo gli i der die das den dem";

/// Words that join names in a list ("Japan and Korea", "Japón y Corea").
pub(super) const CONNECTORS: &str =
    "and or y o e et ou und oder plus then also luego depois puis dann poi with con com avec mit";

/// Continents and areas that are not (yet) named regions: a traveller naming one is asking
/// for something the local reader cannot place.
pub(super) const UNPLACED_AREAS: &str = "
asia asien asie africa afrika afrique america americas amerique amerika
latam apac emea
";

/// Words that confirm a country reading of an ambiguous name ("Georgia the country").
pub(super) const COUNTRY_WORDS: &str = "country pais pays land paese nation";

/// Words before a traveller's home rather than a destination ("I'm from Brazil", "flying
/// from London", "من مصر"): such a place is dropped when the message names a destination too.
pub(super) const ORIGINS: &str = "from desde depuis aus dalla dal من";

/// Verbs before "in" that make the place a home, not a destination ("I live in Canada").
pub(super) const RESIDENCE: &str =
    "live lives living based reside resident vivo vive moro mora habite habito wohne lebe abito";

/// Words that exclude the place after them ("Austria, not Australia").
pub(super) const NEGATIONS: &str = "not except excluding without sin excepto salvo sem exceto pas sauf nicht ausser ohne non tranne";
