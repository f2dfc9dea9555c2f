# Japanese translation of the server-rendered checkout pages (pages.ftl): see the English file for notes.

## タイトルと状態
pay-merchant = { $merchant } へのお支払い
checking-payment = お支払いを確認しています
payment-processing = お支払い処理中
payment-complete = お支払い完了
payment-failed = お支払い失敗
checkout-expired = 決済ページの有効期限切れ
test-mode = テストモード
secure-checkout = kassa による安全な決済
loading-checkout = 決済ページを読み込んでいます…
loading = 読み込み中…
we-are-checking = ただいまお支払いを確認しています
checking-detail = 決済代行会社からの応答がまだありません。再度お支払いにならないでください。結果が分かり次第、このページに表示されます。
your-payment-processing = お支払いを処理しています
processing-detail = 銀行引き落としの確認には少し時間がかかります。このページを離れても問題ありません。完了するとショップに通知されます。
check-again = もう一度確認
method-saved = お支払い方法を保存しました
subscription-activated = サブスクリプションが有効になりました
trial-started = トライアルが開始されました
thank-you = ご注文ありがとうございます
account = アカウント
paid-with = { $method } で { $amount } をお支払いいただきました
nothing-charged-saved = 本日の請求はありません。{ $method } は今後のお支払いのために保存されました。
nothing-charged = 請求は発生していません。
trial-ends = トライアルは { $date } に終了します。
what-you-bought = ご購入内容
shipping-to = お届け先
receipt-for = { $email } 宛ての領収書
receipt-tax-id = 税務ID: { $value }
your-payment-failed = お支払いに失敗しました
could-not-complete = お支払いを完了できませんでした。
failed-detail = 請求は発生していません。別のお支払い方法をお試しになるには、ショップからやり直してください。
return-to = { $merchant } に戻る
has-expired = この決済ページは有効期限が切れています
refunded-detail = お支払いが完了する前に決済ページの有効期限が切れたため、{ $amount } のお支払いは全額返金されました。新しい決済を行うには、ショップからやり直してください。
expired-detail = 決済リンクの有効期間は限られています。請求は発生していません。新しいリンクを取得するには、ショップからやり直してください。
not-found-title = 決済ページが見つかりません
not-found-detail = この決済リンクは無効です。アドレスをご確認いただくか、ショップからやり直してください。
unreachable-title = 現在、この決済ページを表示できません
unreachable-detail = しばらくしてからページを再読み込みしてください。

## 承認ステップ
nothing-to-confirm-title = 確認する内容はありません
nothing-to-confirm = 確認が必要な項目はありません
not-waiting = このお支払いは確認待ちではありません。
back-to-checkout = 決済ページに戻る
authenticate-title = お支払いの認証
authenticate-detail = 銀行からこのお支払いの確認を求められています。これは、銀行の 3-D Secure ページの代わりとなる kassa のテストモード用ページです。
complete-authentication = 認証を完了する
fail-authentication = 認証を失敗させる
approve-with = { $method } で承認
approve-detail = { $method } からこのお支払いの承認を求められています。これは、{ $method } の承認ページの代わりとなる kassa のテストモード用ページです。
approve-payment = お支払いを承認
cancel = キャンセル
confirm-title = お支払いの確認
confirm-with-bank = 銀行でお支払いを確認してください
bank-own-page = 銀行から、銀行のページでこのお支払いを確認するよう求められています。
continue-to-bank = 銀行のページへ進む

## サーバーから購入者への応答
no-such-checkout = この決済は存在しません。
try-again-later = 現在、お支払いを完了できませんでした。このページを再読み込みしてください。お支払いが完了したかどうかが表示されます。
already-being-paid = この決済はすでに処理中です。しばらくお待ちください。
cannot-complete = このお支払いは完了できません。
choose-decision = 完了またはキャンセルを選択してください。
too-many-attempts-minute = お支払いの試行回数が多すぎます。セキュリティ保護のため、1 分後にもう一度お試しください。
too-many-attempts = お支払いの試行回数が多すぎます。セキュリティ保護のため、{ $minutes } 分後にもう一度お試しください。
too-many-codes = 試行されたコードが多すぎます。{ $seconds } 秒待ってから、もう一度お試しください。
enter-code = コードを入力してください。
code-not-valid = このコードは無効です。
code-inactive = このコードは現在ご利用いただけません。
code-expired = このコードは有効期限が切れています。
code-used-up = このコードは使用回数の上限に達しています。
code-other-currency = このコードは別の通貨用です。
phone-country-code = 国番号を付けて電話番号を入力してください（例: +1 415 555 0100）。
phone-not-exist = この電話番号は存在しません。国番号を含めてご確認ください。
payment-failed-short = お支払いに失敗しました。

## 決済処理業者からの応答（テストモードの拒否とエラー）
declined = カードが拒否されました。
declined-funds = カードが拒否されました。残高が不足しています。
declined-expired = カードが拒否されました。有効期限が切れています。
declined-cvc = カードが拒否されました。セキュリティコードが正しくありません。
declined-test-mode = カードが拒否されました。テストモードでは、4242 4242 4242 4242 などのテストカードのみご利用いただけます。
declined-authentication = カードが拒否されました。銀行で本人認証ができませんでした。
you-cancelled = お支払いをキャンセルしました。
account-closed = 銀行口座は解約されています。
bank-insufficient = 銀行口座の残高が不足しています。
debit-refused = 銀行が口座引き落としを拒否しました。

## 支払いリンクのページ
link-inactive = このリンクは現在無効です
link-inactive-detail = ショップはこのリンクでの販売を終了しました。新しいリンクをショップにお問い合わせください。
link-not-found = この支払いリンクは存在しません
link-not-found-detail = アドレスをご確認いただくか、ショップにリンクを再度お問い合わせください。
link-cannot-sell = このリンクでは現在購入できません
link-cannot-sell-detail = 販売されていた商品は現在ご利用いただけません。新しいリンクをショップにお問い合わせください。
link-unavailable = 現在このリンクを開けません
link-unavailable-detail = しばらくしてからもう一度お試しください。
too-many-visits = アクセスが多すぎます
too-many-visits-text = このリンクはお使いのネットワークから何度も開かれています。数分後にもう一度お試しください。
