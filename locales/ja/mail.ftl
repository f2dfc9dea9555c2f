# Japanese translation of the mail sent to buyers (mail.ftl): see the English file for notes.

## 領収書
mail-receipt-subject = { $merchant } からの領収書
mail-receipt-thanks = { $merchant } への { $amount } のお支払い、誠にありがとうございます。
mail-receipt-for = ご購入内容: { $description }
mail-receipt-paid-with = お支払い方法: { $method }
mail-receipt-date = 日付: { $date }
mail-receipt-invoice = 請求書番号: { $number }
mail-receipt-shipping = お届け先: { $address }

## 更新のお支払いが完了しなかった場合
mail-failed-subject = { $merchant } へのお支払いが完了しませんでした
mail-failed-could-not = { $description } の料金 { $amount } を請求できませんでした。
mail-failed-reason = 理由: { $reason }
mail-failed-retry = { $date } にもう一度お支払いを試みます。サービスの中断を避けるため、それまでにお支払い方法を更新してください。
mail-failed-last = 今回が最後の試行でした。サブスクリプションの料金は未払いの状態です。

## トライアルの終了
mail-trial-subject = { $merchant } のトライアルは { $date } に終了します
mail-trial-ends = { $description } の無料トライアルは { $date } に終了します。
mail-trial-then = その後は、解約されるまで、期間ごとに { $amount } が保存済みのお支払い方法に請求されます。

## すべてのメール共通
mail-view-online-text = オンラインで表示: { $link }
mail-view-online = オンラインで表示
mail-manage-text = サブスクリプション、カード、請求書の管理: { $link }
mail-manage = サブスクリプション、カード、請求書を管理
mail-your-subscription = ご利用中のサブスクリプション
