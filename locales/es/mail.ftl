# Spanish translation of the mail sent to buyers (mail.ftl): see the English file for notes.

## Un recibo
mail-receipt-subject = Su recibo de { $merchant }
mail-receipt-thanks = Gracias por su pago de { $amount } a { $merchant }.
mail-receipt-for = Concepto: { $description }
mail-receipt-paid-with = Pagado con: { $method }
mail-receipt-date = Fecha: { $date }
mail-receipt-invoice = Factura: { $number }
mail-receipt-shipping = Envío a: { $address }

## Una renovación que no se ha podido realizar
mail-failed-subject = No se ha podido realizar su pago a { $merchant }
mail-failed-could-not = No hemos podido cobrar { $amount } por { $description }.
mail-failed-reason = Motivo: { $reason }
mail-failed-retry = Volveremos a intentarlo el { $date }. Para evitar una interrupción, actualice su método de pago antes de esa fecha.
mail-failed-last = Este ha sido el último intento: la suscripción ha dejado de estar pagada.

## Una prueba que finaliza
mail-trial-subject = Su prueba con { $merchant } finaliza el { $date }
mail-trial-ends = Su prueba gratuita de { $description } finaliza el { $date }.
mail-trial-then = Después, se realizará un cargo de { $amount } en su método de pago guardado en cada periodo, hasta que cancele la suscripción.

## En todos los correos
mail-view-online-text = Ver en línea: { $link }
mail-view-online = Ver en línea
mail-manage-text = Gestione sus suscripciones, su tarjeta y sus facturas: { $link }
mail-manage = Gestionar sus suscripciones, su tarjeta y sus facturas
mail-your-subscription = su suscripción
