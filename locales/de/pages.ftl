# German translation of the server-rendered checkout pages (pages.ftl): see the English file for notes.

## Titel und Zustände
pay-merchant = { $merchant } bezahlen
checking-payment = Zahlung wird geprüft
payment-processing = Zahlung wird verarbeitet
payment-complete = Zahlung abgeschlossen
payment-failed = Zahlung fehlgeschlagen
checkout-expired = Checkout abgelaufen
test-mode = Testmodus
secure-checkout = Sicherer Checkout von kassa
loading-checkout = Ihr Checkout wird geladen…
loading = Wird geladen…
we-are-checking = Wir prüfen Ihre Zahlung
checking-detail = Der Zahlungsanbieter hat noch nicht geantwortet. Bitte zahlen Sie nicht erneut: Diese Seite zeigt das Ergebnis, sobald es feststeht.
your-payment-processing = Ihre Zahlung wird verarbeitet
processing-detail = Die Bestätigung von Bankabbuchungen dauert einen Moment. Sie können diese Seite verlassen: Der Shop wird benachrichtigt, sobald die Zahlung abgeschlossen ist.
check-again = Erneut prüfen
method-saved = Zahlungsmethode gespeichert
subscription-activated = Abonnement aktiviert
trial-started = Ihre Testphase hat begonnen
thank-you = Vielen Dank für Ihre Bestellung
account = Konto
paid-with = { $amount } mit { $method } bezahlt
nothing-charged-saved = Heute wurde nichts berechnet. { $method } ist für künftige Zahlungen gespeichert.
nothing-charged = Es wurde nichts berechnet.
trial-ends = Ihre Testphase endet am { $date }.
what-you-bought = Ihr Einkauf
shipping-to = Lieferung an
receipt-for = Beleg für { $email }
receipt-tax-id = Steuernummer: { $value }
your-payment-failed = Ihre Zahlung ist fehlgeschlagen
could-not-complete = Die Zahlung konnte nicht abgeschlossen werden.
failed-detail = Es wurde nichts berechnet. Beginnen Sie im Shop erneut, um eine andere Zahlungsmethode zu verwenden.
return-to = Zurück zu { $merchant }
has-expired = Dieser Checkout ist abgelaufen
refunded-detail = Der Checkout wurde beendet, bevor Ihre Zahlung abgeschlossen werden konnte. Ihre Zahlung über { $amount } wurde daher vollständig erstattet. Beginnen Sie im Shop erneut, um einen neuen Checkout zu starten.
expired-detail = Checkout-Links sind nur begrenzt gültig. Es wurde nichts berechnet; beginnen Sie im Shop erneut, um einen neuen zu erhalten.
not-found-title = Checkout nicht gefunden
not-found-detail = Dieser Checkout-Link ist ungültig. Prüfen Sie die Adresse oder beginnen Sie im Shop erneut.
unreachable-title = Dieser Checkout kann gerade nicht angezeigt werden
unreachable-detail = Laden Sie die Seite gleich erneut.

## Der Bestätigungsschritt
nothing-to-confirm-title = Nichts zu bestätigen
nothing-to-confirm = Es gibt nichts zu bestätigen
not-waiting = Diese Zahlung wartet nicht auf Sie.
back-to-checkout = Zurück zum Checkout
authenticate-title = Zahlung authentifizieren
authenticate-detail = Ihre Bank bittet Sie, diese Zahlung zu bestätigen. Dies ist der Testmodus-Ersatz von kassa für die 3-D Secure-Seite der Bank.
complete-authentication = Authentifizierung abschließen
fail-authentication = Authentifizierung fehlschlagen lassen
approve-with = Mit { $method } genehmigen
approve-detail = { $method } bittet Sie, diese Zahlung zu genehmigen. Dies ist der Testmodus-Ersatz von kassa für die Genehmigungsseite.
approve-payment = Zahlung genehmigen
cancel = Abbrechen
confirm-title = Bestätigen Sie Ihre Zahlung
confirm-with-bank = Bestätigen Sie Ihre Zahlung bei Ihrer Bank
bank-own-page = Ihre Bank bittet Sie, diese Zahlung auf ihrer eigenen Seite zu bestätigen.
continue-to-bank = Weiter zu Ihrer Bank

## Was der Server dem Käufer antwortet
no-such-checkout = Diesen Checkout gibt es nicht.
try-again-later = Die Zahlung konnte gerade nicht abgeschlossen werden. Laden Sie diese Seite neu: Sie zeigt, ob Ihre Zahlung durchgegangen ist.
already-being-paid = Dieser Checkout wird bereits bezahlt. Bitte warten Sie einen Moment.
cannot-complete = Diese Zahlung kann nicht abgeschlossen werden.
choose-decision = Wählen Sie, ob Sie abschließen oder abbrechen möchten.
too-many-attempts-minute = Zu viele Zahlungsversuche. Versuchen Sie es zu Ihrer Sicherheit in einer Minute erneut.
too-many-attempts = Zu viele Zahlungsversuche. Versuchen Sie es zu Ihrer Sicherheit in { $minutes } Minuten erneut.
too-many-codes = Es wurden zu viele Codes ausprobiert. Warten Sie { $seconds } s und versuchen Sie es dann erneut.
enter-code = Geben Sie einen Code ein.
code-not-valid = Dieser Code ist ungültig.
code-inactive = Dieser Code ist nicht mehr aktiv.
code-expired = Dieser Code ist abgelaufen.
code-used-up = Dieser Code wurde bereits vollständig eingelöst.
code-other-currency = Dieser Code gilt für eine andere Währung.
phone-country-code = Geben Sie Ihre Telefonnummer mit Ländervorwahl ein, z. B. +1 415 555 0100.
phone-not-exist = Diese Telefonnummer existiert nicht: Prüfen Sie sie samt Ländervorwahl.
payment-failed-short = Die Zahlung ist fehlgeschlagen.

## Was der Zahlungsabwickler antwortet (Ablehnungen und Fehler im Testmodus)
declined = Ihre Karte wurde abgelehnt.
declined-funds = Ihre Karte wurde abgelehnt: Die Deckung reicht nicht aus.
declined-expired = Ihre Karte wurde abgelehnt: Sie ist abgelaufen.
declined-cvc = Ihre Karte wurde abgelehnt: Der Sicherheitscode ist falsch.
declined-test-mode = Ihre Karte wurde abgelehnt. Dies ist der Testmodus, der nur Testkarten wie 4242 4242 4242 4242 akzeptiert.
declined-authentication = Ihre Karte wurde abgelehnt: Die Bank konnte Sie nicht authentifizieren.
you-cancelled = Sie haben die Zahlung abgebrochen.
account-closed = Das Bankkonto ist aufgelöst.
bank-insufficient = Das Bankkonto weist keine ausreichende Deckung auf.
debit-refused = Die Bank hat die Lastschrift abgelehnt.

## Die eigenen Seiten eines Zahlungslinks
link-inactive = Dieser Link ist nicht mehr aktiv
link-inactive-detail = Der Shop verkauft nicht mehr über diesen Link. Bitten Sie ihn um einen neuen.
link-not-found = Diesen Zahlungslink gibt es nicht
link-not-found-detail = Prüfen Sie die Adresse oder bitten Sie den Shop erneut um den Link.
link-cannot-sell = Über diesen Link kann gerade nichts verkauft werden
link-cannot-sell-detail = Was er verkauft, ist nicht mehr verfügbar. Bitten Sie den Shop um einen neuen Link.
link-unavailable = Dieser Link kann gerade nicht geöffnet werden
link-unavailable-detail = Versuchen Sie es gleich noch einmal.
too-many-visits = Zu viele Aufrufe
too-many-visits-text = Dieser Link wurde zu oft aus Ihrem Netzwerk geöffnet. Versuchen Sie es in ein paar Minuten erneut.
