# Spanish translation of the server-rendered checkout pages (pages.ftl): see the English file for notes.

## Títulos y estados
pay-merchant = Pagar a { $merchant }
checking-payment = Comprobando su pago
payment-processing = Pago en proceso
payment-complete = Pago completado
payment-failed = Pago fallido
checkout-expired = Sesión de pago caducada
test-mode = Modo de prueba
secure-checkout = Pago seguro con kassa
loading-checkout = Cargando su pago…
loading = Cargando…
we-are-checking = Estamos comprobando su pago
checking-detail = El proveedor de pagos aún no ha respondido. No vuelva a pagar: esta página mostrará el resultado en cuanto se conozca.
your-payment-processing = Su pago se está procesando
processing-detail = Los adeudos bancarios tardan un poco en confirmarse. Puede salir de esta página: se avisará a la tienda cuando se complete.
check-again = Volver a comprobar
method-saved = Método de pago guardado
subscription-activated = Suscripción activada
trial-started = Su prueba ha comenzado
thank-you = Gracias por su pedido
account = Cuenta
paid-with = Pago de { $amount } realizado con { $method }
nothing-charged-saved = Hoy no se ha realizado ningún cargo. { $method } queda guardado para futuros pagos.
nothing-charged = No se ha realizado ningún cargo.
trial-ends = Su prueba finaliza el { $date }.
what-you-bought = Su compra
shipping-to = Envío a
receipt-for = Recibo para { $email }
receipt-tax-id = Número de identificación fiscal: { $value }
your-payment-failed = Su pago no se ha podido realizar
could-not-complete = No se ha podido completar el pago.
failed-detail = No se ha realizado ningún cargo. Vuelva a empezar desde la tienda para probar otro método de pago.
return-to = Volver a { $merchant }
has-expired = Esta sesión de pago ha caducado
refunded-detail = La sesión de pago finalizó antes de que se pudiera completar su pago, por lo que se le ha reembolsado íntegramente el pago de { $amount }. Vuelva a empezar desde la tienda para iniciar una nueva sesión de pago.
expired-detail = Los enlaces de pago son válidos durante un tiempo limitado. No se ha realizado ningún cargo; vuelva a empezar desde la tienda para obtener uno nuevo.
not-found-title = Sesión de pago no encontrada
not-found-detail = Este enlace de pago no es válido. Compruebe la dirección o vuelva a empezar desde la tienda.
unreachable-title = No se puede mostrar esta página de pago en este momento
unreachable-detail = Vuelva a cargar la página en unos instantes.

## El paso de aprobación
nothing-to-confirm-title = Nada que confirmar
nothing-to-confirm = No hay nada que confirmar
not-waiting = Este pago no requiere ninguna acción por su parte.
back-to-checkout = Volver al pago
authenticate-title = Autentique su pago
authenticate-detail = Su banco le pide que confirme este pago. Esta es la página que kassa usa en modo de prueba en lugar de la página 3-D Secure del banco.
complete-authentication = Completar la autenticación
fail-authentication = Hacer fallar la autenticación
approve-with = Aprobar con { $method }
approve-detail = { $method } le pide que apruebe este pago. Esta es la página que kassa usa en modo de prueba en lugar de su página de aprobación.
approve-payment = Aprobar pago
cancel = Cancelar
confirm-title = Confirme su pago
confirm-with-bank = Confirme su pago con su banco
bank-own-page = Su banco le pide que confirme este pago en su propia página.
continue-to-bank = Continuar a su banco

## Lo que el servidor responde al comprador
no-such-checkout = Esta sesión de pago no existe.
try-again-later = No se ha podido completar el pago en este momento. Vuelva a cargar esta página: en ella verá si su pago se ha realizado.
already-being-paid = Este pago ya está en curso. Espere un momento.
cannot-complete = Este pago no se puede completar.
choose-decision = Elija completar o cancelar.
too-many-attempts-minute = Demasiados intentos de pago. Por su seguridad, vuelva a intentarlo dentro de un minuto.
too-many-attempts = Demasiados intentos de pago. Por su seguridad, vuelva a intentarlo dentro de { $minutes } minutos.
too-many-codes = Se han probado demasiados códigos. Espere { $seconds } s y vuelva a intentarlo.
enter-code = Introduzca un código.
code-not-valid = Este código no es válido.
code-inactive = Este código ya no está activo.
code-expired = Este código ha caducado.
code-used-up = Este código ha alcanzado su límite de usos.
code-other-currency = Este código es para otra moneda.
phone-country-code = Introduzca su número de teléfono con el prefijo del país, por ejemplo, +1 415 555 0100.
phone-not-exist = Este número de teléfono no existe: compruébelo, junto con el prefijo del país.
payment-failed-short = El pago ha fallado.

## Lo que responde el procesador (rechazos y fallos del procesador en modo de prueba)
declined = Se ha rechazado su tarjeta.
declined-funds = Se ha rechazado su tarjeta: fondos insuficientes.
declined-expired = Se ha rechazado su tarjeta: ha caducado.
declined-cvc = Se ha rechazado su tarjeta: el código de seguridad es incorrecto.
declined-test-mode = Se ha rechazado su tarjeta. Está en modo de prueba, que solo acepta tarjetas de prueba como 4242 4242 4242 4242.
declined-authentication = Se ha rechazado su tarjeta: el banco no ha podido autenticarle.
you-cancelled = Ha cancelado el pago.
account-closed = La cuenta bancaria está cerrada.
bank-insufficient = La cuenta bancaria no tiene fondos suficientes.
debit-refused = El banco ha rechazado el adeudo directo.

## Las páginas de un enlace de pago
link-inactive = Este enlace ya no está activo
link-inactive-detail = La tienda ha dejado de vender a través de este enlace. Pídale uno nuevo.
link-not-found = Este enlace de pago no existe
link-not-found-detail = Compruebe la dirección o vuelva a pedir el enlace a la tienda.
link-cannot-sell = Este enlace no puede vender en este momento
link-cannot-sell-detail = Lo que vende ya no está disponible. Pida un enlace nuevo a la tienda.
link-unavailable = Este enlace no se puede abrir en este momento
link-unavailable-detail = Inténtelo de nuevo en un momento.
too-many-visits = Demasiadas visitas
too-many-visits-text = Este enlace se ha abierto demasiadas veces desde tu red. Vuelve a intentarlo en unos minutos.
