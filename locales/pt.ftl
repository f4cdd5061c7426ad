# Everything Bino says in chat, in Brazilian Portuguese ("você"). Same ids and placeables as
# en.ftl, the source; see the notes there. Commands in quotes are the Portuguese words Bino
# recognises ("ajuda", "menu", "meus esims", ...).

greeting =
    Oi! Eu sou o Bino 👋 Consigo internet móvel para você no exterior com um eSIM: sem trocar de chip, sem conta de roaming, pronto em um minuto.
    Para onde você vai e por quanto tempo? Por exemplo: "Japão e Coreia, 10 dias".
ask-destination = Para onde você vai e por quanto tempo? Por exemplo: "Espanha, 5 dias".
restarted = Certo, vamos recomeçar. Para onde você vai?
timed-out = Já faz um tempinho, então vamos começar do zero. Para onde você vai?
no-destination = Não encontrei nenhum destino na sua mensagem. Diga um país, cidade, ilha ou região, por exemplo "Tailândia, 2 semanas".
no-plans = Desculpe, no momento não tenho planos para { $destination }. Tente um país vizinho ou uma região como "Europa".
search-unavailable = Não consigo acessar o catálogo de planos agora. Tente de novo em um minuto.

plans-body =
    { $days ->
        [0] Planos para { $destination }. Os que cobrem a viagem toda aparecem primeiro.
        [one] Planos para { $destination }, { $days } dia. Os que cobrem a viagem toda aparecem primeiro.
       *[other] Planos para { $destination }, { $days } dias. Os que cobrem a viagem toda aparecem primeiro.
    }
plans-button = Ver planos
plans-section = Melhores planos
plans-footer = Preços em dólares americanos
plan-row = { $data } · { $validity } · US$ { $price }
plan-days = { $days ->
    [one] { $days } dia
   *[other] { $days } dias
}
plan-partial = cobre { $covered } de { $wanted } lugares

summary = *{ $name }*
    Dados: { $data }
    Validade: { $validity }
    Cobertura: { $countries }
    Preço: US$ { $price }
    { $starts }
summary-starts-first-use = O plano começa quando o eSIM se conecta pela primeira vez a uma rede no seu destino.
summary-starts-install = O plano começa quando você instala o eSIM.
summary-not-whole-trip = Atenção: este plano não cobre todos os lugares da sua viagem.
button-buy = Comprar
button-other-plans = Outros planos
button-change-destination = Mudar destino

order-placed = Obrigado! Recebi seu pedido (ref. { $order }). Estou preparando seu eSIM; normalmente leva menos de um minuto.
order-refused = Desculpe, o fornecedor não conseguiu emitir este eSIM ({ $reason }). Nenhuma cobrança foi feita. Escolha outro plano ou escreva "agente" para falar com uma pessoa.
order-unavailable = Não consegui falar com o fornecedor agora, e nada foi cobrado. Toque em Comprar de novo daqui a um minuto; o pedido nunca é feito duas vezes.
still-preparing = Seu eSIM ainda está sendo preparado; eu envio aqui assim que estiver pronto.

esim-ready-caption = Seu eSIM para { $plan } está pronto ✅ Abra este código em outra tela e escaneie: Configurações → Dados móveis → Adicionar eSIM.
esim-ready-details =
    Para instalar neste celular com um toque:
    iPhone: { $ios }
    Android: { $android }

    Ou digite manualmente:
    Endereço SM-DP+: { $smdp }
    Código de ativação: { $code }

    Deixe este eSIM desligado até chegar. Escreva "consumo" quando quiser para ver quanto ainda resta.
esim-activation-string = Código de ativação completo (toque e segure para copiar):

help =
    Eu vendo eSIMs para viagem. Diga para onde você vai, por exemplo "Itália, 1 semana", e eu mostro os melhores planos.
    Você também pode escrever:
    • "menu" para ver as opções
    • "meus esims" para ver os eSIMs que você comprou
    • "consumo" para ver os dados e dias restantes
    • "recarregar" para adicionar dados
    • "recomeçar" para começar de novo
    • "agente" para falar com uma pessoa
    • "english", "español", "français" ou "deutsch" para mudar de idioma
menu-body = O que você quer fazer?
menu-new = Novo eSIM
menu-esims = Meus eSIMs
menu-help = Ajuda

no-esims = Você ainda não tem eSIMs comigo. Diga para onde vai e eu encontro um para você.
esims-list = Seus eSIMs:
esim-line = • { $plan }: { $state }
esim-state-preparing = em preparação
esim-state-ready = pronto para instalar
esim-state-failed = não emitido (nada cobrado)
esim-state-topped-up = recarregado
usage-line = • { $plan }: restam { $left } de { $total }{ $expires ->
    [none] {""}
   *[other] , até { $expires }
}
usage-unknown = • { $plan }: ainda sem dados de consumo
top-up-none = Você ainda não tem nenhum eSIM para recarregar.

handed-off = Chamei uma pessoa da nossa equipe para entrar na conversa. Ela vai responder aqui em breve. Escreva "menu" para voltar a falar comigo.
with-agent = Uma pessoa da nossa equipe vai responder aqui em breve. Escreva "menu" para voltar a falar comigo.

unsupported-message = Por enquanto só consigo ler texto e botões. Escreva para onde você vai, por exemplo "Itália, 1 semana".
stale-choice = Essa lista está desatualizada, então não fiz nada com ela. Aqui estão as opções atuais.
stale-choice-restart = Essa lista está desatualizada, então não fiz nada com ela. Para onde você vai?

limit-searches = Você está buscando mais rápido do que eu consigo acompanhar. Espere um minuto e tente de novo.
limit-orders = Você atingiu o limite diário de pedidos de eSIM ({ $limit }). Escreva "agente" se precisar de mais.
language-set = Certo, vou escrever em português.
pick-a-number = Escolha um plano da lista: toque nele ou digite o número (de 1 a { $count }).
trip-worldwide = qualquer lugar do mundo

# Pagamento, recargas e acompanhamento.
checkout-link = Para pagar, abra esta página segura (válida por 1 hora): { $url }
    Eu envio seu eSIM aqui assim que o pagamento for confirmado.
checkout-unavailable = Não consegui abrir a página de pagamento agora, e nada foi cobrado. Toque em Comprar de novo daqui a um minuto.
checkout-expired = O link de pagamento expirou, então nada foi cobrado nem pedido.
purchase-closed = Comprar neste chat não está disponível para o seu número. Escreva "agente" e uma pessoa vai ajudar você.
payment-received = Pagamento recebido, obrigado! (ref. { $order }) Estou preparando seu eSIM; costuma levar menos de um minuto.
paid-but-failed = Sinto muito: seu pagamento chegou, mas o fornecedor não conseguiu emitir o eSIM (ref. { $order }). Você vai receber o reembolso total, e uma pessoa da nossa equipe já foi avisada. Escreva "agente" para falar com ela.
still-awaiting-payment = Seu pedido aguarda o pagamento: use o link que enviei acima. Eu envio seu eSIM assim que estiver pago.
top-up-applied = Pronto: { $plan } foi adicionado ao seu eSIM. Não precisa de um novo QR code.
top-up-body = Recargas para { $plan }. Elas são adicionadas ao eSIM que você já tem.
top-up-no-plans = Não há recargas para { $plan } agora. Escreva "agente" se precisar de mais dados.
summary-top-up = Adicionado na hora ao seu eSIM atual; não precisa de um novo QR code.
button-top-up = Recarregar
esim-connected = Seu eSIM de { $plan } está instalado e conectado ✅ Boa viagem!
data-low = Seu eSIM de { $plan } tem { $left } de dados restantes.
expiring = { $days ->
    [one] Seu eSIM de { $plan } expira em 1 dia.
   *[other] Seu eSIM de { $plan } expira em { $days } dias.
} Recarregue para continuar conectado.
released = Voltei! Diga para onde você vai, ou escreva "menu" para ver as opções.
esim-state-awaiting-payment = aguardando pagamento
esim-state-cancelled = cancelado (nada cobrado)
esim-state-refund-pending = não emitido, reembolso a caminho
esim-state-in-use = em uso
esim-state-used-up = dados esgotados
esim-state-expired = expirado
paid-wrong-amount = Seu pagamento chegou, mas não era o preço deste plano, então não pedi nada (ref. { $order }). Você vai receber o reembolso total, e uma pessoa da nossa equipe já foi avisada. Toque em Comprar de novo para pagar o valor certo.
paid-late = Seu pagamento chegou depois que o link expirou, então não pedi nada (ref. { $order }). Você vai receber o reembolso total, e uma pessoa da nossa equipe já foi avisada. Toque em Comprar de novo para um novo link.
payment-failed = Seu pagamento não foi concluído, então nada foi cobrado nem pedido. Você pode tentar de novo com Comprar.
checkout-link-top-up = Para pagar a recarga, abra esta página segura (válida por 1 hora): { $url }
    Eu adiciono os dados ao seu eSIM assim que o pagamento for confirmado.
data-per-day = { $amount }/dia
