# French translation of the server-rendered checkout pages (pages.ftl): see the English file for notes.

## Titres et états
pay-merchant = Payer { $merchant }
checking-payment = Vérification de votre paiement
payment-processing = Paiement en cours de traitement
payment-complete = Paiement effectué
payment-failed = Échec du paiement
checkout-expired = Session de paiement expirée
test-mode = Mode test
secure-checkout = Paiement sécurisé par kassa
loading-checkout = Chargement de votre paiement…
loading = Chargement…
we-are-checking = Nous vérifions votre paiement
checking-detail = Le prestataire de paiement n'a pas encore répondu. Ne payez pas une seconde fois : cette page affichera le résultat dès qu'il sera connu.
your-payment-processing = Votre paiement est en cours de traitement
processing-detail = La confirmation des prélèvements bancaires prend un peu de temps. Vous pouvez quitter cette page : la boutique sera informée une fois le paiement effectué.
check-again = Vérifier à nouveau
method-saved = Moyen de paiement enregistré
subscription-activated = Abonnement activé
trial-started = Votre essai a commencé
thank-you = Merci pour votre commande
account = Compte
paid-with = { $amount } payé avec { $method }
nothing-charged-saved = Aucun montant n'a été débité aujourd'hui. { $method } est enregistré pour vos prochains paiements.
nothing-charged = Aucun montant n'a été débité.
trial-ends = Votre essai se termine le { $date }.
what-you-bought = Vos achats
shipping-to = Livraison à
receipt-for = Reçu pour { $email }
receipt-tax-id = Numéro fiscal : { $value }
your-payment-failed = Votre paiement a échoué
could-not-complete = Le paiement n'a pas pu être effectué.
failed-detail = Aucun montant n'a été débité. Recommencez depuis la boutique pour essayer un autre moyen de paiement.
return-to = Revenir à { $merchant }
has-expired = Cette session de paiement a expiré
refunded-detail = La session de paiement a pris fin avant que votre paiement ne soit finalisé : votre paiement de { $amount } a donc été intégralement remboursé. Recommencez depuis la boutique pour ouvrir une nouvelle session.
expired-detail = Les liens de paiement sont valables pendant une durée limitée. Aucun montant n'a été débité ; recommencez depuis la boutique pour en obtenir un nouveau.
not-found-title = Session de paiement introuvable
not-found-detail = Ce lien de paiement n'est pas valide. Vérifiez l'adresse ou recommencez depuis la boutique.
unreachable-title = Cette page de paiement ne peut pas être affichée pour le moment
unreachable-detail = Rechargez la page dans quelques instants.

## L'étape d'approbation
nothing-to-confirm-title = Rien à confirmer
nothing-to-confirm = Il n'y a rien à confirmer
not-waiting = Ce paiement n'attend aucune action de votre part.
back-to-checkout = Retour au paiement
authenticate-title = Authentifiez votre paiement
authenticate-detail = Votre banque vous demande de confirmer ce paiement. Ceci est la page de substitution de kassa en mode test pour la page 3-D Secure de la banque.
complete-authentication = Terminer l'authentification
fail-authentication = Faire échouer l'authentification
approve-with = Approuver avec { $method }
approve-detail = { $method } vous demande d'approuver ce paiement. Ceci est la page de substitution de kassa en mode test pour sa page d'approbation.
approve-payment = Approuver le paiement
cancel = Annuler
confirm-title = Confirmez votre paiement
confirm-with-bank = Confirmez votre paiement auprès de votre banque
bank-own-page = Votre banque vous demande de confirmer ce paiement sur sa propre page.
continue-to-bank = Continuer vers votre banque

## Ce que le serveur répond à l'acheteur
no-such-checkout = Cette session de paiement n'existe pas.
try-again-later = Le paiement n'a pas pu être effectué pour le moment. Rechargez cette page : elle indique si votre paiement a abouti.
already-being-paid = Ce paiement est déjà en cours. Patientez un instant.
cannot-complete = Ce paiement ne peut pas être effectué.
choose-decision = Choisissez de finaliser ou d'annuler.
too-many-attempts-minute = Trop de tentatives de paiement. Pour votre sécurité, réessayez dans une minute.
too-many-attempts = Trop de tentatives de paiement. Pour votre sécurité, réessayez dans { $minutes } minutes.
too-many-codes = Trop de codes ont été essayés. Patientez { $seconds } s, puis réessayez.
enter-code = Saisissez un code.
code-not-valid = Ce code n'est pas valide.
code-inactive = Ce code n'est plus actif.
code-expired = Ce code a expiré.
code-used-up = Ce code a atteint sa limite d'utilisation.
code-other-currency = Ce code est valable pour une autre devise.
phone-country-code = Saisissez votre numéro de téléphone avec l'indicatif du pays, par exemple +1 415 555 0100.
phone-not-exist = Ce numéro de téléphone n'existe pas : vérifiez-le, ainsi que l'indicatif du pays.
payment-failed-short = Le paiement a échoué.

## Ce que répond le processeur de paiement (refus et échecs en mode test)
declined = Votre carte a été refusée.
declined-funds = Votre carte a été refusée : fonds insuffisants.
declined-expired = Votre carte a été refusée : elle a expiré.
declined-cvc = Votre carte a été refusée : son code de sécurité est incorrect.
declined-test-mode = Votre carte a été refusée. Vous êtes en mode test, qui n'accepte que les cartes de test comme 4242 4242 4242 4242.
declined-authentication = Votre carte a été refusée : la banque n'a pas pu vous authentifier.
you-cancelled = Vous avez annulé le paiement.
account-closed = Le compte bancaire est clôturé.
bank-insufficient = Le compte bancaire n'est pas suffisamment approvisionné.
debit-refused = La banque a refusé le prélèvement.

## Les pages d'un lien de paiement
link-inactive = Ce lien n'est plus actif
link-inactive-detail = La boutique ne vend plus par ce lien. Demandez-lui un nouveau lien.
link-not-found = Ce lien de paiement n'existe pas
link-not-found-detail = Vérifiez l'adresse ou redemandez le lien à la boutique.
link-cannot-sell = Ce lien ne peut rien vendre pour le moment
link-cannot-sell-detail = Ce qu'il vend n'est plus disponible. Demandez un nouveau lien à la boutique.
link-unavailable = Ce lien ne peut pas être ouvert pour le moment
link-unavailable-detail = Réessayez dans un instant.
too-many-visits = Trop de visites
too-many-visits-text = Ce lien a été ouvert trop souvent depuis votre réseau. Réessayez dans quelques minutes.
