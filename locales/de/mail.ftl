# German translation of the mail sent to buyers (mail.ftl): see the English file for notes.

## Ein Beleg
mail-receipt-subject = Ihr Beleg von { $merchant }
mail-receipt-thanks = Vielen Dank für Ihre Zahlung über { $amount } an { $merchant }.
mail-receipt-for = Für: { $description }
mail-receipt-paid-with = Bezahlt mit: { $method }
mail-receipt-date = Datum: { $date }
mail-receipt-invoice = Rechnung: { $number }
mail-receipt-shipping = Lieferung an: { $address }

## Eine Verlängerung, die nicht durchgegangen ist
mail-failed-subject = Ihre Zahlung an { $merchant } ist fehlgeschlagen
mail-failed-could-not = Wir konnten { $amount } für { $description } nicht abbuchen.
mail-failed-reason = Grund: { $reason }
mail-failed-retry = Wir versuchen es am { $date } erneut. Damit es zu keiner Unterbrechung kommt, aktualisieren Sie bitte vorher Ihre Zahlungsmethode.
mail-failed-last = Dies war der letzte Versuch: Das Abonnement ist damit nicht mehr bezahlt.

## Eine endende Testphase
mail-trial-subject = Ihre Testphase bei { $merchant } endet am { $date }
mail-trial-ends = Ihre kostenlose Testphase für { $description } endet am { $date }.
mail-trial-then = Danach wird Ihre gespeicherte Zahlungsmethode in jedem Abrechnungszeitraum mit { $amount } belastet, bis Sie kündigen.

## In jeder E-Mail
mail-view-online-text = Online ansehen: { $link }
mail-view-online = Online ansehen
mail-manage-text = Verwalten Sie Ihre Abonnements, Ihre Karte und Ihre Rechnungen: { $link }
mail-manage = Abonnements, Karte und Rechnungen verwalten
mail-your-subscription = Ihr Abonnement
