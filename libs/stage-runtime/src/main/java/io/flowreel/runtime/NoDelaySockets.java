package io.flowreel.runtime;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.SocketFactory;

/**
 * Plain sockets with Nagle's algorithm off. The MinIO SDK's OkHttp client leaves it on, and a PUT
 * whose body ends in a small segment then waits for the server's delayed ACK: on loopback 1 in 10
 * PUTs of 256 KiB took 40-50 ms instead of 4 (docs/benchmarks.md, "S3 tail").
 */
final class NoDelaySockets extends SocketFactory {

  private final SocketFactory sockets = SocketFactory.getDefault();

  private static Socket noDelay(Socket socket) throws IOException {
    socket.setTcpNoDelay(true);
    return socket;
  }

  @Override
  public Socket createSocket() throws IOException {
    return noDelay(sockets.createSocket());
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return noDelay(sockets.createSocket(host, port));
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress local, int localPort) throws IOException {
    return noDelay(sockets.createSocket(host, port, local, localPort));
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return noDelay(sockets.createSocket(host, port));
  }

  @Override
  public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort) throws IOException {
    return noDelay(sockets.createSocket(host, port, local, localPort));
  }
}
