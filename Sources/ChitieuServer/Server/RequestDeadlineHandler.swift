import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request head or body does not arrive in time (`RequestDeadlines`).
/// It sits after the HTTP decoder, where it sees request parts and answers; a handler of its own
/// at the front of the pipeline tells it when a request's first bytes arrive.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var deadlines: RequestDeadlines
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private let logger: Logger

    init(limits: HTTPConnectionLimits, logger: Logger) {
        self.deadlines = RequestDeadlines(limits: limits)
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // Bytes are seen before the decoder, which passes nothing on until a head is complete.
        try? context.pipeline.syncOperations.addHandler(ByteWatcher(owner: self), position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: apply(deadlines.headRead())
        case .body: break
        case .end: apply(deadlines.endRead())
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { apply(deadlines.answerWritten()) }
        context.write(data, promise: promise)
    }

    fileprivate func bytesRead() {
        apply(deadlines.bytesRead())
    }

    private func apply(_ action: RequestDeadlines.Action) {
        switch action {
        case .none:
            return
        case .stop:
            timer?.cancel()
            timer = nil
        case .start(let phase, let limit):
            timer?.cancel()
            guard let context else { return }
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limit)) {
                self.expired(phase, limit: limit)
            }
        }
    }

    private func expired(_ phase: RequestDeadlines.Phase, limit: Duration) {
        guard deadlines.phase == phase, let context else { return }
        timer = nil
        // The client's doing, not the server's: debug, with the client's address.
        logger.debug(
            "Closed a connection whose request was too slow to arrive.",
            metadata: [
                "http.deadline": "\(phase == .head ? "head" : "body")", "http.limit": "\(limit)",
                "http.client": "\(context.channel.remoteAddress?.description ?? "-")",
            ])
        context.close(promise: nil)
    }

    /// Tells the handler when bytes arrive, from the front of the pipeline.
    private final class ByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let owner: RequestDeadlineHandler

        init(owner: RequestDeadlineHandler) { self.owner = owner }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            owner.bytesRead()
            context.fireChannelRead(data)
        }
    }
}
