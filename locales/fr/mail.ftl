# French translation of the mail sent to buyers (mail.ftl): see the English file for notes.

## Un reçu
mail-receipt-subject = Votre reçu de { $merchant }
mail-receipt-thanks = Merci pour votre paiement de { $amount } à { $merchant }.
mail-receipt-for = Objet : { $description }
mail-receipt-paid-with = Payé avec : { $method }
mail-receipt-date = Date : { $date }
mail-receipt-invoice = Facture : { $number }
mail-receipt-shipping = Livraison à : { $address }

## Un renouvellement qui n'a pas abouti
mail-failed-subject = Votre paiement à { $merchant } n'a pas abouti
mail-failed-could-not = Nous n'avons pas pu débiter { $amount } pour { $description }.
mail-failed-reason = Motif : { $reason }
mail-failed-retry = Nous réessaierons le { $date }. Pour éviter toute interruption, mettez à jour votre moyen de paiement d'ici là.
mail-failed-last = C'était la dernière tentative : l'abonnement n'est donc plus réglé.

## Un essai qui se termine
mail-trial-subject = Votre essai chez { $merchant } se termine le { $date }
mail-trial-ends = Votre essai gratuit pour { $description } se termine le { $date }.
mail-trial-then = Ensuite, { $amount } sera débité à chaque période sur votre moyen de paiement enregistré, jusqu'à votre résiliation.

## Dans chaque e-mail
mail-view-online-text = Consulter en ligne : { $link }
mail-view-online = Consulter en ligne
mail-manage-text = Gérez vos abonnements, votre carte et vos factures : { $link }
mail-manage = Gérer vos abonnements, votre carte et vos factures
mail-your-subscription = votre abonnement
