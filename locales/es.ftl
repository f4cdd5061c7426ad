# Everything Bino says in chat, in Spanish (neutral, informal "tú"). Same ids and placeables
# as en.ftl, the source; see the notes there. Commands in quotes are the Spanish words Bino
# recognises ("ayuda", "menú", "mis esims", ...).

greeting =
    ¡Hola! Soy Bino 👋 Te consigo datos móviles en el extranjero con una eSIM: sin cambiar de SIM, sin factura de roaming, lista en un minuto.
    ¿A dónde viajas y por cuánto tiempo? Por ejemplo: "Japón y Corea, 10 días".
ask-destination = ¿A dónde viajas y por cuánto tiempo? Por ejemplo: "España, 5 días".
restarted = De acuerdo, empecemos de nuevo. ¿A dónde viajas?
timed-out = Ha pasado un rato, así que empecemos de cero. ¿A dónde viajas?
no-destination = No encontré ningún destino en tu mensaje. Dime un país, ciudad, isla o región, por ejemplo "Tailandia, 2 semanas".
no-plans = Lo siento, ahora mismo no tengo planes para { $destination }. Prueba con un país cercano o una región como "Europa".
search-unavailable = Ahora mismo no puedo acceder al catálogo de planes. Inténtalo de nuevo en un minuto.

plans-body =
    { $days ->
        [0] Planes para { $destination }. Primero van los que cubren todo tu viaje.
        [one] Planes para { $destination }, { $days } día. Primero van los que cubren todo tu viaje.
       *[other] Planes para { $destination }, { $days } días. Primero van los que cubren todo tu viaje.
    }
plans-button = Ver planes
plans-section = Mejores planes
plans-footer = Precios en dólares estadounidenses
plan-row = { $data } · { $validity } · US$ { $price }
plan-days = { $days ->
    [one] { $days } día
   *[other] { $days } días
}
plan-partial = cubre { $covered } de { $wanted } lugares

summary = *{ $name }*
    Datos: { $data }
    Validez: { $validity }
    Cubre: { $countries }
    Precio: US$ { $price }
    { $starts }
summary-starts-first-use = El plan empieza cuando la eSIM se conecta por primera vez a una red en tu destino.
summary-starts-install = El plan empieza cuando instalas la eSIM.
summary-not-whole-trip = Nota: este plan no cubre todos los lugares de tu viaje.
button-buy = Comprar
button-other-plans = Otros planes
button-change-destination = Cambiar destino

order-placed = ¡Gracias! Ya tengo tu pedido (ref. { $order }). Estoy preparando tu eSIM; suele tardar menos de un minuto.
order-refused = Lo siento, el proveedor no pudo emitir esta eSIM ({ $reason }). No se te ha cobrado nada. Elige otro plan o escribe "agente" para hablar con una persona.
order-unavailable = No pude contactar con el proveedor y no se te cobró nada. Vuelve a tocar Comprar en un minuto; nunca se pedirá dos veces.
still-preparing = Tu eSIM aún se está preparando; te la envío aquí en cuanto esté lista.

esim-ready-caption = Tu eSIM para { $plan } está lista ✅ Abre este código en otra pantalla y escanéalo: Ajustes → Datos móviles → Añadir eSIM.
esim-ready-details =
    Para instalarla en este teléfono con un toque:
    iPhone: { $ios }
    Android: { $android }

    O introdúcela manualmente:
    Dirección SM-DP+: { $smdp }
    Código de activación: { $code }

    Mantén esta eSIM desactivada hasta que llegues. Escribe "uso" cuando quieras para ver lo que te queda.
esim-activation-string = Código de activación completo (mantén presionado para copiar):

help =
    Vendo eSIMs para viajar. Dime a dónde vas, por ejemplo "Italia, 1 semana", y te muestro los mejores planes.
    También puedes escribir:
    • "menú" para ver las opciones
    • "mis esims" para ver las eSIMs que compraste
    • "uso" para ver los datos y días que te quedan
    • "recargar" para añadir datos
    • "reiniciar" para empezar de nuevo
    • "agente" para hablar con una persona
    • "english", "português", "français" o "deutsch" para cambiar de idioma
menu-body = ¿Qué quieres hacer?
menu-new = Nueva eSIM
menu-esims = Mis eSIMs
menu-help = Ayuda

no-esims = Aún no tienes eSIMs conmigo. Dime a dónde viajas y te busco una.
esims-list = Tus eSIMs:
esim-line = • { $plan }: { $state }
esim-state-preparing = en preparación
esim-state-ready = lista para instalar
esim-state-failed = no emitida (sin cargo)
esim-state-topped-up = recargada
usage-line = • { $plan }: te quedan { $left } de { $total }{ $expires ->
    [none] {""}
   *[other] , hasta el { $expires }
}
usage-unknown = • { $plan }: aún no hay datos de uso
top-up-none = Aún no tienes ninguna eSIM para recargar.

handed-off = Le pedí a una persona de nuestro equipo que se una. Te responderá aquí pronto. Escribe "menú" para volver conmigo.
with-agent = Una persona de nuestro equipo te responderá aquí pronto. Escribe "menú" para volver conmigo.

unsupported-message = Por ahora solo puedo leer texto y botones. Dime con palabras a dónde vas, por ejemplo "Italia, 1 semana".
stale-choice = Esa lista ya no está al día, así que no hice nada con ella. Aquí tienes las opciones actuales.
stale-choice-restart = Esa lista ya no está al día, así que no hice nada con ella. ¿A dónde viajas?

limit-searches = Estás buscando más rápido de lo que puedo seguirte. Espera un minuto y vuelve a intentarlo.
limit-orders = Llegaste al límite diario de pedidos de eSIM ({ $limit }). Escribe "agente" si necesitas más.
language-set = Vale, te escribo en español.
pick-a-number = Elige un plan de la lista: tócalo o escribe su número (del 1 al { $count }).
trip-worldwide = cualquier lugar del mundo

# Pago, recargas y seguimiento.
checkout-link = Para pagar, abre esta página segura (válida 1 hora): { $url }
    Te enviaré la eSIM aquí en cuanto se complete el pago.
checkout-unavailable = No pude abrir la página de pago ahora mismo y no se cobró nada. Toca Comprar otra vez en un minuto.
checkout-expired = El enlace de pago caducó, así que no se cobró ni se pidió nada.
purchase-closed = Comprar en este chat no está disponible para tu número. Escribe "agente" y una persona te ayudará.
payment-received = ¡Pago recibido, gracias! (ref. { $order }) Estoy preparando tu eSIM; suele tardar menos de un minuto.
paid-but-failed = Lo siento: tu pago llegó, pero el proveedor no pudo emitir la eSIM (ref. { $order }). Recibirás el reembolso completo y ya avisamos a una persona de nuestro equipo. Escribe "agente" para hablar con ella.
still-awaiting-payment = Tu pedido espera el pago: usa el enlace que te envié arriba. Te enviaré la eSIM en cuanto esté pagada.
top-up-applied = Listo: se añadió { $plan } a tu eSIM. No necesitas un código QR nuevo.
top-up-body = Recargas para { $plan }. Se añaden a la eSIM que ya tienes.
top-up-no-plans = Ahora no hay recargas para { $plan }. Escribe "agente" si necesitas más datos.
summary-top-up = Se añade al momento a tu eSIM actual; no necesitas un código QR nuevo.
button-top-up = Recargar
esim-connected = Tu eSIM de { $plan } está instalada y conectada ✅ ¡Buen viaje!
data-low = A tu eSIM de { $plan } le quedan { $left } de datos.
expiring = { $days ->
    [one] Tu eSIM de { $plan } caduca en 1 día.
   *[other] Tu eSIM de { $plan } caduca en { $days } días.
} Recarga para seguir conectado.
released = ¡Ya estoy de vuelta! Dime adónde vas, o escribe "menú" para ver las opciones.
esim-state-awaiting-payment = esperando el pago
esim-state-cancelled = cancelada (sin cargo)
esim-state-refund-pending = no emitida, reembolso en camino
esim-state-in-use = en uso
esim-state-used-up = datos agotados
esim-state-expired = caducada
paid-wrong-amount = Tu pago llegó, pero no era el precio de este plan, así que no pedí nada (ref. { $order }). Recibirás el reembolso completo y ya avisamos a una persona de nuestro equipo. Toca Comprar otra vez para pagar el importe correcto.
paid-late = Tu pago llegó cuando el enlace ya había caducado, así que no pedí nada (ref. { $order }). Recibirás el reembolso completo y ya avisamos a una persona de nuestro equipo. Toca Comprar otra vez para un enlace nuevo.
payment-failed = Tu pago no se completó, así que no se cobró ni se pidió nada. Puedes intentarlo otra vez con Comprar.
checkout-link-top-up = Para pagar la recarga, abre esta página segura (válida 1 hora): { $url }
    Añadiré los datos a tu eSIM en cuanto se complete el pago.
data-per-day = { $amount }/día
